using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire.Control;

/// <summary>
/// The three 32-octet control messages (RFC 4656 §3.7-3.8, RFC 5357 §3.7-3.8), 16 octets of body + 16 of HMAC:
/// <code>
///                 0        1       2-3   4-7                 8-15
/// Start-Sessions  2        MBZ     MBZ   MBZ                 MBZ
/// Start-Ack       Accept   MBZ     MBZ   MBZ                 MBZ
/// Stop-Sessions   3        Accept  MBZ   Number of Sessions  MBZ
/// </code>
/// </summary>
public static class ShortControlMessage
{
    public const int BodySize = 16;
    public const int Size = BodySize + 16;

    public static void WriteStartSessions(Span<byte> d)
    {
        d[..BodySize].Clear();
        d[0] = (byte)CommandNumber.StartSessions;
    }

    public static void WriteStartAck(Span<byte> d, AcceptCode accept)
    {
        d[..BodySize].Clear();
        d[0] = (byte)accept;
    }

    public static AcceptCode ParseStartAck(ReadOnlySpan<byte> s)
    {
        if (s.Length < BodySize) throw new ControlProtocolException($"Start-Ack is {Size} octets, got {s.Length}");
        return AcceptCodeExtensions.Normalize(s[0]);
    }

    public static void WriteStopSessions(Span<byte> d, AcceptCode accept, uint sessions)
    {
        d[..BodySize].Clear();
        d[0] = (byte)CommandNumber.StopSessions;
        d[1] = (byte)accept;
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], sessions);
    }

    public static (AcceptCode Accept, uint Sessions) ParseStopSessions(ReadOnlySpan<byte> s)
    {
        if (s.Length < BodySize) throw new ControlProtocolException($"Stop-Sessions is {Size} octets, got {s.Length}");
        if (s[0] != (byte)CommandNumber.StopSessions) throw new ControlProtocolException("not a Stop-Sessions");
        return (AcceptCodeExtensions.Normalize(s[1]), BinaryPrimitives.ReadUInt32BigEndian(s[4..]));
    }
}
