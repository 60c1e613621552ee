using System.Net;
using TwampProbe.Linux.Net;
using Xunit;

namespace TwampProbe.Linux.Tests;

public sealed class UdpPeerTests
{
    [Theory]
    [InlineData("1.2.3.4", 5, false, "1.2.3.4:5")]
    [InlineData("192.168.200.254", 65535, false, "192.168.200.254:65535")]
    [InlineData("::1", 5, true, "[::1]:5")]
    [InlineData("2001:db8::42", 862, true, "[2001:db8::42]:862")]
    public void RoundTripsEndpoints(string address, int port, bool ipv6, string text)
    {
        var ep = new IPEndPoint(IPAddress.Parse(address), port);
        var peer = UdpPeer.From(ep);
        Assert.Equal(ipv6, peer.IsIPv6);
        Assert.Equal((ushort)port, peer.Port);
        Assert.Equal(ep, peer.ToEndPoint());
        Assert.Equal(text, peer.ToString());
    }

    [Fact]
    public void IPv4MappedIsNormalisedToIPv4()
    {
        var mapped = UdpPeer.From(new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.1"), 9));
        var plain = UdpPeer.From(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 9));
        Assert.False(mapped.IsIPv6);
        Assert.Equal(plain, mapped);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 9), mapped.ToEndPoint());
    }

    [Fact]
    public void EqualityCoversFamilyAddressAndPort()
    {
        var a = UdpPeer.From(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 862));
        var same = UdpPeer.From(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 862));
        var otherPort = UdpPeer.From(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 863));
        var otherAddr = UdpPeer.From(new IPEndPoint(IPAddress.Parse("10.1.2.4"), 862));
        var v6 = UdpPeer.From(new IPEndPoint(IPAddress.Parse("::a01:203"), 862)); // same low 4 bytes, IPv6

        Assert.Equal(a, same);
        Assert.True(a == same);
        Assert.Equal(a.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(a, otherPort);
        Assert.True(a.SameAddress(otherPort));
        Assert.NotEqual(a, otherAddr);
        Assert.False(a.SameAddress(otherAddr));
        Assert.NotEqual(a, v6);
        Assert.False(a.SameAddress(v6));
        Assert.NotEqual(default, a);

        var set = new HashSet<UdpPeer> { a, same, otherPort, otherAddr, v6 };
        Assert.Equal(4, set.Count);
    }

    [Fact]
    public void ScopeIdIsKept()
    {
        var ep = new IPEndPoint(IPAddress.Parse("fe80::1%3"), 862);
        var peer = UdpPeer.From(ep);
        Assert.Equal(3u, peer.ScopeId);
        Assert.Equal(ep, peer.ToEndPoint());
        Assert.NotEqual(UdpPeer.From(new IPEndPoint(IPAddress.Parse("fe80::1%4"), 862)), peer);
    }

    [Theory]
    [InlineData("fe80::1", 7u, true, 7u)]
    [InlineData("febf::1", 7u, true, 7u)]
    [InlineData("fec0::1", 7u, false, 0u)]
    [InlineData("2001:db8::1", 7u, false, 0u)]
    public void FromIPv6KeepsTheScopeForLinkLocalOnly(string address, uint scope, bool linkLocal, uint kept)
    {
        var peer = UdpPeer.FromIPv6(IPAddress.Parse(address).GetAddressBytes(), 862, scope);
        Assert.True(peer.IsIPv6);
        Assert.Equal(linkLocal, peer.IsIPv6LinkLocal);
        Assert.Equal(kept, peer.ScopeId);
        Assert.Equal(linkLocal, UdpPeer.From(new IPEndPoint(IPAddress.Parse(address), 1)).IsIPv6LinkLocal);
    }

    [Fact]
    public void FromIPv6NormalisesMappedAndOnlyDefaultIsUnset()
    {
        var peer = UdpPeer.FromIPv6(IPAddress.Parse("::ffff:0.0.0.0").GetAddressBytes(), 0, 5);
        Assert.False(peer.IsIPv6);
        Assert.False(peer.IsIPv6LinkLocal);
        Assert.False(peer.IsUnset); // 0.0.0.0 is an address, stored IPv4-mapped
        Assert.True(default(UdpPeer).IsUnset);
        Assert.False(UdpPeer.From(new IPEndPoint(IPAddress.IPv6Loopback, 0)).IsUnset);
    }
}
