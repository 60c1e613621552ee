namespace TwampProbe.Linux.Net;

/// <summary>Options applied by <see cref="UdpTestSocket.Bind"/>.</summary>
public sealed class UdpSocketOptions
{
    /// <summary>SO_TIMESTAMPING RX_SOFTWARE|SOFTWARE (+RX_HARDWARE|RAW_HARDWARE when <see cref="HardwareInterface"/> is set).</summary>
    public bool ReceiveTimestamps { get; init; } = true;

    /// <summary>
    /// If set: hardware timestamps from this interface's PHC, converted to system time. Set up once per interface
    /// (SIOCGHWTSTAMP first; SIOCSHWTSTAMP tx ON / rx filter ALL only when nobody set a filter; see
    /// <see cref="HardwareTimestampPolicy"/>); otherwise software timestamps, with the reason in
    /// <see cref="UdpTestSocket.TimestampFallbackReason"/>.
    /// </summary>
    public string? HardwareInterface { get; init; }

    /// <summary>SOF_TIMESTAMPING_TX_SOFTWARE (|TX_HARDWARE) | OPT_ID | OPT_TSONLY; read back with <see cref="UdpTestSocket.ReadTransmitTimestamps"/>.</summary>
    public bool TransmitTimestamps { get; init; }

    /// <summary>How many TX timestamps are buffered in user space between drains (oldest dropped beyond).</summary>
    public int TransmitTimestampQueueCapacity { get; init; } = 4096;

    /// <summary>IP_RECVTTL / IPV6_RECVHOPLIMIT.</summary>
    public bool ReceiveTtl { get; init; } = true;

    /// <summary>IP_RECVTOS / IPV6_RECVTCLASS.</summary>
    public bool ReceiveTrafficClass { get; init; } = true;

    /// <summary>
    /// On a socket bound to a wildcard address: IP_PKTINFO / IPV6_RECVPKTINFO (both on a dual-stack socket), so
    /// every datagram reports the address it came to in <see cref="PacketMeta.LocalAddress"/>.
    /// </summary>
    public bool ReceiveLocalAddress { get; init; } = true;

    /// <summary>IP_TTL / IPV6_UNICAST_HOPS (a TWAMP reflector SHOULD use 255).</summary>
    public int? SendTtl { get; init; }

    /// <summary>SO_RCVBUF when &gt; 0 (SO_RCVBUFFORCE is tried first).</summary>
    public int ReceiveBufferBytes { get; init; }

    /// <summary>SO_SNDBUF when &gt; 0 (SO_SNDBUFFORCE is tried first).</summary>
    public int SendBufferBytes { get; init; }

    /// <summary>SO_REUSEADDR.</summary>
    public bool ReuseAddress { get; init; }

    /// <summary>
    /// SOCK_NONBLOCK: sends never wait for buffer space. A datagram the kernel has no room for is not sent
    /// and counted in <see cref="UdpTestSocket.SendsWouldBlock"/> (receives are non-blocking either way).
    /// </summary>
    public bool NonBlocking { get; init; }

    /// <summary>For IPv6 sockets: IPV6_V6ONLY=0 so [::] also serves IPv4 (IPv4 peers appear as plain IPv4).</summary>
    public bool DualStack { get; init; } = true;
}
