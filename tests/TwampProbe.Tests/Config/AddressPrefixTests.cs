using TwampProbe.Config;

namespace TwampProbe.Tests.Config;

public sealed class AddressPrefixTests
{
    [Theory]
    [InlineData("192.0.2.0/24", "192.0.2.255", true)]
    [InlineData("192.0.2.0/24", "192.0.3.0", false)]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("192.0.2.128/25", "192.0.2.127", false)]
    [InlineData("192.0.2.128/25", "192.0.2.200", true)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("203.0.113.7", "203.0.113.7", true)]
    [InlineData("203.0.113.7", "203.0.113.8", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("2001:db8::/33", "2001:db8:8000::1", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("fe80::/10", "febf::1", true)]
    [InlineData("fe80::/10", "fec0::1", false)]
    public void ContainsMatchesByPrefix(string prefix, string address, bool expected)
    {
        Assert.Equal(expected, AddressPrefix.Parse(prefix).Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("::1/128", "127.0.0.1")]
    [InlineData("2001:db8::/32", "192.0.2.1")]
    [InlineData("::/0", "192.0.2.1")]
    [InlineData("::/64", "192.0.2.1")]
    public void IPv4AddressDoesNotMatchAnIPv6Prefix(string prefix, string address)
    {
        Assert.False(AddressPrefix.Parse(prefix).Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("::ffff:0:0/96", "192.0.2.1")]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3")]
    public void IPv4MappedSpaceMatchesIPv4Addresses(string prefix, string address)
    {
        Assert.True(AddressPrefix.Parse(prefix).Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "2001:db8::1")]
    [InlineData("0.0.0.0/0", "::1")]
    public void IPv6AddressDoesNotMatchAnIPv4Prefix(string prefix, string address)
    {
        Assert.False(AddressPrefix.Parse(prefix).Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("not-an-address")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("10.0.0.0/x")]
    public void MalformedPrefixIsRejected(string text)
    {
        Assert.False(AddressPrefix.TryParse(text, out _, out var error));
        Assert.Contains(text.Split('/')[0], error);
    }
}
