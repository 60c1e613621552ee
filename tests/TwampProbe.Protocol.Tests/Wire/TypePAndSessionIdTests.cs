using System.Net;
using TwampProbe.Protocol.Wire;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Wire;

public class TypePAndSessionIdTests
{
    [Fact]
    public void Dscp46IsTypeP0x2E000000()
    {
        var t = TypeP.FromDscp(46);
        Assert.Equal(0x2E00_0000u, t.Value);
        Assert.Equal(46, t.Dscp);
        Assert.True(t.IsSupported);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(64)]
    public void DscpOutsideSixBitsIsRefused(int dscp) => Assert.Throws<ArgumentOutOfRangeException>(() => TypeP.FromDscp(dscp));

    [Theory]
    [InlineData(0x4000_0001u)]
    [InlineData(0x8000_0000u)]
    [InlineData(0x0000_0100u)]
    public void PhbOrBitsOutsideTheDscpAreUnsupported(uint value) => Assert.False(new TypeP(value).IsSupported);

    [Fact]
    public void SidStartsWithTheIpv4AddressThenTheTimestamp()
    {
        byte[] sid = SessionId.Create(IPAddress.Parse("127.0.0.1"), new NtpTimestamp(0xeead9547bea71583));
        Assert.Equal(16, sid.Length);
        Assert.Equal("7f000001eead9547bea71583", H(sid.AsSpan(0, 12)));
    }

    [Fact]
    public void SidOfAnIpv6HostUsesItsLastFourOctets()
    {
        byte[] sid = SessionId.Create(IPAddress.Parse("2001:db8::c000:207"), new NtpTimestamp(1));
        Assert.Equal("c0000207", H(sid.AsSpan(0, 4)));
    }

    [Fact]
    public void SidsOfTheSameInstantDifferInTheRandomOctets()
    {
        var now = new NtpTimestamp(0xeead9547bea71583);
        var sids = Enumerable.Range(0, 8).Select(_ => SessionId.ToHex(SessionId.Create(IPAddress.Loopback, now))).ToHashSet();
        Assert.True(sids.Count > 1);
    }
}
