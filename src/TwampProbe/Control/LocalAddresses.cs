using System.Net;
using System.Net.Sockets;

namespace TwampProbe.Control;

/// <summary>Is an address one of this host's? Answered by the kernel: a bind to port 0 on it.</summary>
public static class LocalAddresses
{
    /// <summary>Null when <paramref name="address"/> is local (or cannot be checked here), else why not.</summary>
    public static string? Check(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        // A link-local address without its scope cannot be bound; the session's bind decides.
        if (address.IsIPv6LinkLocal && address.ScopeId == 0) return null;
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return "is a wildcard, not an address";
        if (IsMulticastOrBroadcast(address)) return "is a multicast or broadcast address";
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(address, 0));
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            return "is not an address of this server";
        }
        catch (SocketException)
        {
            // Out of descriptors or ports: not a verdict on the address; the bind proper will answer.
            return null;
        }
    }

    static bool IsMulticastOrBroadcast(IPAddress a)
    {
        if (a.AddressFamily == AddressFamily.InterNetworkV6) return a.IsIPv6Multicast;
        var b = a.GetAddressBytes();
        return b[0] >= 224 || a.Equals(IPAddress.Broadcast);
    }
}
