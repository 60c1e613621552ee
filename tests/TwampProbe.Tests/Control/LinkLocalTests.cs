using TwampProbe.Control;

namespace TwampProbe.Tests.Control;

public sealed class LinkLocalTests
{
    [Fact]
    public void LinkLocalRequestAddressTakesTheControlConnectionsZone()
    {
        var withZone = LinkLocal.WithScope(IPAddress.Parse("fe80::b"), IPAddress.Parse("fe80::a%7"));
        Assert.Equal(7, withZone.ScopeId);
        Assert.Equal(IPAddress.Parse("fe80::b").GetAddressBytes(), withZone.GetAddressBytes());
    }

    [Theory]
    [InlineData("2001:db8::b", "fe80::a%7", 0)]   // not link-local: unchanged
    [InlineData("fe80::b%3", "fe80::a%7", 3)]     // already has a zone: unchanged
    [InlineData("fe80::b", "2001:db8::a", 0)]     // the control connection has no zone to give
    [InlineData("192.0.2.1", "fe80::a%7", -1)]
    [InlineData("fe80::1", "127.0.0.1", 0)]       // an IPv4 control connection: no zone, and no throw
    public void OtherAddressesAreLeftAlone(string address, string control, long scope)
    {
        var a = IPAddress.Parse(address);
        var result = LinkLocal.WithScope(a, IPAddress.Parse(control));
        Assert.Equal(a, result);
        if (scope >= 0) Assert.Equal(scope, result.ScopeId);
    }
}
