namespace TwampProbe.Linux.Interop;

/// <summary>
/// struct in6_pktinfo (20 bytes, RFC 3542 §6.1): received with IPV6_RECVPKTINFO (destination address and
/// arrival interface), sent as an IPV6_PKTINFO cmsg to choose the source address and outgoing interface.
/// </summary>
internal unsafe struct In6PktInfo
{
    public fixed byte Address[16];
    public int InterfaceIndex;
}
