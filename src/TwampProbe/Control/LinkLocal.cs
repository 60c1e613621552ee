using System.Net;

namespace TwampProbe.Control;

/// <summary>
/// IPv6 link-local addresses (fe80::/10) name a host only together with an interface (RFC 4007 §6).
/// The Sender and Receiver Address fields of Request-TW-Session (RFC 5357 §3.5) carry 16 octets and
/// no zone, so the zone comes from the control connection, whose TCP endpoints know the interface.
/// </summary>
public static class LinkLocal
{
    /// <summary>
    /// <paramref name="address"/> with the scope id of <paramref name="controlEndPoint"/> (the control
    /// connection's address on the same side) when it is link-local without a scope; else unchanged.
    /// Without a scope the test socket could not be bound (EINVAL) and the expected Session-Sender would
    /// never equal the received packets' source, whose sockaddr_in6 carries sin6_scope_id.
    /// </summary>
    public static IPAddress WithScope(IPAddress address, IPAddress controlEndPoint)
    {
        // ScopeId throws on an IPv4 address: a link-local address over an IPv4 control connection
        // stays without a scope (and is refused with Accept=3 as a family mismatch or unbindable).
        if (!address.IsIPv6LinkLocal || address.ScopeId != 0 || controlEndPoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6
            || controlEndPoint.ScopeId == 0) return address;
        return new IPAddress(address.GetAddressBytes(), controlEndPoint.ScopeId);
    }
}
