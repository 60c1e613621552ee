using System.Net;
using System.Net.Sockets;

namespace TwampProbe.Protocol.Tests.Golden;

/// <summary>A TCP or UDP packet over IPv4/IPv6 decoded from a <see cref="CapturedFrame"/>.</summary>
/// <param name="Frame">1-based frame number.</param>
/// <param name="Time">Capture time (UTC).</param>
/// <param name="Source">IP source address.</param>
/// <param name="Destination">IP destination address.</param>
/// <param name="Ttl">IPv4 TTL or IPv6 hop limit.</param>
/// <param name="TrafficClass">IPv4 TOS octet or IPv6 traffic class (DSCP &lt;&lt; 2 | ECN).</param>
/// <param name="Protocol"><see cref="ProtocolType.Tcp"/> or <see cref="ProtocolType.Udp"/>.</param>
/// <param name="SourcePort">Transport source port.</param>
/// <param name="DestinationPort">Transport destination port.</param>
/// <param name="Payload">Transport payload (TCP segment data or UDP datagram data).</param>
/// <param name="TcpSeq">TCP sequence number (0 for UDP).</param>
/// <param name="TcpFlags">TCP flags octet (FIN=0x01, SYN=0x02, RST=0x04, PSH=0x08, ACK=0x10); 0 for UDP.</param>
public sealed record DecodedPacket(
    int Frame,
    DateTime Time,
    IPAddress Source,
    IPAddress Destination,
    byte Ttl,
    byte TrafficClass,
    ProtocolType Protocol,
    int SourcePort,
    int DestinationPort,
    byte[] Payload,
    uint TcpSeq,
    byte TcpFlags)
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    public IPEndPoint SourceEndPoint => new(Source, SourcePort);

    public IPEndPoint DestinationEndPoint => new(Destination, DestinationPort);

    /// <summary>DSCP (upper six bits of <see cref="TrafficClass"/>).</summary>
    public int Dscp => TrafficClass >> 2;
}
