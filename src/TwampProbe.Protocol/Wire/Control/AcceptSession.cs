using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire.Control;

/// <summary>
/// Accept-Session, 48 octets, server → client (RFC 5357 §3.5, layout of RFC 4656 §3.5).
/// <code>
///  0  1 Accept        1  1 MBZ        2  2 Port
///  4 16 SID
/// 20 12 MBZ
/// 32 16 HMAC (written by the control channel)
/// </code>
/// Port is where the reflector receives (and sends from) when Accept = 0 — possibly an alternate
/// port (RFC 5357 erratum 1587, RFC 8545 §5.1); it MUST be 0 on any rejection.
/// </summary>
public sealed record AcceptSession(AcceptCode Accept, ushort Port, byte[] Sid)
{
    public const int BodySize = 32;
    public const int Size = BodySize + 16;

    public static AcceptSession Reject(AcceptCode code) => new(code, 0, new byte[16]);

    public void Write(Span<byte> destination)
    {
        var d = destination[..BodySize];
        d.Clear();
        d[0] = (byte)Accept;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], Accept == AcceptCode.Ok ? Port : (ushort)0);
        Sid.AsSpan().CopyTo(d.Slice(4, 16));
    }

    public static AcceptSession Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < BodySize) throw new ControlProtocolException($"Accept-Session is {Size} octets, got {source.Length}");
        return new AcceptSession(
            AcceptCodeExtensions.Normalize(source[0]),
            BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
            source.Slice(4, 16).ToArray());
    }
}
