namespace TwampProbe.Linux.Net;

/// <summary>Per-slot datagram metadata of a <see cref="PacketBatch"/>.</summary>
public struct PacketMeta
{
    /// <summary>Datagram length (received) / number of bytes to send.</summary>
    public int Length;

    /// <summary>MSG_TRUNC: the datagram was larger than the slot (Length is then the slot size).</summary>
    public bool Truncated;

    /// <summary>Source (received) / destination (send). A default peer (port 0) sends to the connected peer.</summary>
    public UdpPeer Peer;

    /// <summary>RX timestamp: kernel/hardware if present, else clock_gettime(CLOCK_REALTIME) right after recvmmsg returned.</summary>
    public long UnixNanoseconds;

    /// <summary>Origin of <see cref="UnixNanoseconds"/>.</summary>
    public TimestampSource TimestampSource;

    /// <summary>Received TTL / hop limit, -1 if the cmsg was absent.</summary>
    public int Ttl;

    /// <summary>Received TOS / traffic class byte (DSCP&lt;&lt;2 | ECN), -1 if absent. For send: TOS byte to set, -1 = socket default.</summary>
    public int TrafficClass;

    /// <summary>The receiving socket's local port (set by Receive).</summary>
    public ushort LocalPort;

    /// <summary>
    /// Received: the local address the datagram came to (IP_PKTINFO ipi_spec_dst / IPV6_PKTINFO ipi6_addr),
    /// reported by sockets bound to a wildcard address; default when unknown. Port is the local port; an IPv6
    /// link-local address carries the arrival interface as its scope id.
    /// Send: the source address to use (an IP_PKTINFO / IPV6_PKTINFO cmsg), so that a reply leaves from the
    /// address its request came to; default = the kernel's routing choice.
    /// </summary>
    public UdpPeer LocalAddress;

    /// <summary>Received: the interface index the datagram arrived on (from the pktinfo cmsg), 0 if unknown.</summary>
    public int InterfaceIndex;

    /// <summary>True when <see cref="LocalAddress"/> is set.</summary>
    public readonly bool HasLocalAddress => !LocalAddress.IsUnset;
}
