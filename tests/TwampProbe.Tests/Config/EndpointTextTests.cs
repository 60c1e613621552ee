using TwampProbe.Config;
using TwampProbe.Control;

namespace TwampProbe.Tests.Config;

public sealed class EndpointTextTests
{
    [Theory]
    [InlineData("fe80::1%1", 862)]
    [InlineData("fe80::1%lo", 862)]
    [InlineData("[fe80::1%lo]:9000", 9000)]
    [InlineData("[fe80::1%1]", 862)]
    public void LinkLocalTakesItsZoneByIndexOrInterfaceName(string text, int port)
    {
        Assert.True(EndpointText.TryParse(text, 862, out var ep, out var error), error);
        Assert.Equal(IPAddress.Parse("fe80::1").GetAddressBytes(), ep.Address.GetAddressBytes());
        Assert.Equal(1, ep.Address.ScopeId); // lo is interface 1
        Assert.Equal(port, ep.Port);
    }

    [Theory]
    [InlineData("fe80::1", "needs its interface, e.g. fe80::1%eth0")]
    [InlineData("[fe80::1]:862", "needs its interface, e.g. [fe80::1%eth0]")]
    [InlineData("fe80::1%nosuchif0", "no interface 'nosuchif0'")]
    public void LinkLocalWithoutAKnownZoneIsRefusedWithTheFix(string text, string message)
    {
        Assert.False(EndpointText.TryParse(text, 862, out _, out var error));
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("2001:db8::1", 0)]
    [InlineData("[2001:db8::1]:862", 0)]
    [InlineData("192.0.2.1:862", 0)]
    public void OtherAddressesNeedNoZone(string text, long scope)
    {
        Assert.True(EndpointText.TryParse(text, 862, out var ep, out var error), error);
        Assert.Equal(862, ep.Port);
        if (ep.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) Assert.Equal(scope, ep.Address.ScopeId);
    }
    /// <summary>A zone prints as its interface's name, the form the parser reads back; its index only when no interface has it.</summary>
    [Fact]
    public void AZonePrintsAsTheInterfaceNameAndReadsBack()
    {
        var ep = new IPEndPoint(new IPAddress(IPAddress.Parse("fe80::1").GetAddressBytes(), 1), 862);
        Assert.Equal("[fe80::1%lo]:862", EndpointText.Format(ep));
        Assert.True(EndpointText.TryParse(EndpointText.Format(ep), 0, out var back, out var error), error);
        Assert.Equal(ep, back);

        Assert.Equal("[fe80::1%987654]:862", EndpointText.Format(new IPEndPoint(new IPAddress(IPAddress.Parse("fe80::1").GetAddressBytes(), 987654), 862)));
        Assert.Equal("[2001:db8::1]:862", EndpointText.Format(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 862)));
        Assert.Equal("192.0.2.1:862", EndpointText.Format(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 862)));
    }
}
