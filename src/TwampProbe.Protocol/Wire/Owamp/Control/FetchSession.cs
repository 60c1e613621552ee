using System.Buffers.Binary;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// Fetch-Session, 48 octets, client → server (RFC 4656 §3.9):
/// <code>
///  0  1 Command Number (4)   1  7 MBZ
///  8  4 Begin Seq           12  4 End Seq
/// 16 16 SID
/// 32 16 HMAC
/// </code>
/// Begin 0 and End 0xFFFFFFFF ask for the complete session, which "MUST be denied" while the session
/// is in progress or when it did not end normally; any other range returns what was received so far.
/// </summary>
public sealed record FetchSession(uint BeginSeq, uint EndSeq, byte[] Sid)
{
    public const int BodySize = 32;
    public const int Size = BodySize + ControlCipher.HmacLength;
    const int BeginOffset = 8, EndOffset = 12, SidOffset = 16;

    public static FetchSession Complete(byte[] sid) => new(0, uint.MaxValue, sid);

    /// <summary>"If Begin Seq is all zeros and End Seq is all ones, complete session is said to be requested."</summary>
    public bool IsComplete => BeginSeq == 0 && EndSeq == uint.MaxValue;

    public bool Covers(uint seqno) => seqno >= BeginSeq && seqno <= EndSeq;

    public void Write(Span<byte> destination)
    {
        var d = destination[..BodySize];
        d.Clear();
        d[0] = (byte)OwampCommand.FetchSession;
        BinaryPrimitives.WriteUInt32BigEndian(d[BeginOffset..], BeginSeq);
        BinaryPrimitives.WriteUInt32BigEndian(d[EndOffset..], EndSeq);
        Sid.AsSpan().CopyTo(d.Slice(SidOffset, SessionId.Length));
    }

    public static FetchSession Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < BodySize) throw new ControlProtocolException($"Fetch-Session is {Size} octets, got {source.Length}");
        if (source[0] != (byte)OwampCommand.FetchSession) throw new ControlProtocolException($"not a Fetch-Session (command {source[0]})");
        return new FetchSession(
            BinaryPrimitives.ReadUInt32BigEndian(source[BeginOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[EndOffset..]),
            source.Slice(SidOffset, SessionId.Length).ToArray());
    }
}
