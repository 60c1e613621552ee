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
}
