using System.Buffers.Binary;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// Fetch-Ack, 32 octets, server → client (RFC 4656 §3.9):
/// <code>
///  0  1 Accept    1  1 Finished (non-zero: the session has terminated)   2  2 MBZ
///  4  4 Next Seqno            (0 unless Finished)
///  8  4 Number of Skip Ranges (0 unless Finished)
/// 12  4 Number of Records     (in the requested range)
/// 16 16 HMAC
/// </code>
/// "The server MUST specify zero for all remaining fields if Accept is non-zero"; then nothing
/// follows. With Accept = 0 the session data (<see cref="SessionData"/>) follows at once.
/// </summary>
public sealed record FetchAck(AcceptCode Accept, bool Finished, uint NextSeqno, uint SkipRanges, uint Records)
{
    public const int BodySize = 16;
    public const int Size = BodySize + ControlCipher.HmacLength;
    const int FinishedOffset = 1, NextSeqnoOffset = 4, SkipRangesOffset = 8, RecordsOffset = 12;

    public static FetchAck Reject(AcceptCode accept) => new(accept, false, 0, 0, 0);

    public void Write(Span<byte> destination)
    {
        var d = destination[..BodySize];
        d.Clear();
        d[0] = (byte)Accept;
        if (Accept != AcceptCode.Ok) return;
        d[FinishedOffset] = Finished ? (byte)1 : (byte)0;
        // RFC 4656 §3.9: "If Finished is zero, then Next Seqno MUST be set to zero" and so must Skip Ranges.
        if (Finished)
        {
            BinaryPrimitives.WriteUInt32BigEndian(d[NextSeqnoOffset..], NextSeqno);
            BinaryPrimitives.WriteUInt32BigEndian(d[SkipRangesOffset..], SkipRanges);
        }
        BinaryPrimitives.WriteUInt32BigEndian(d[RecordsOffset..], Records);
    }

    /// <summary>Decodes the body. With Accept ≠ 0 the client "MUST ignore all remaining fields": they read as zero.</summary>
    public static FetchAck Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < BodySize) throw new ControlProtocolException($"Fetch-Ack is {Size} octets, got {source.Length}");
        var accept = AcceptCodeExtensions.Normalize(source[0]);
        if (accept != AcceptCode.Ok) return Reject(accept);
        return new FetchAck(accept, source[FinishedOffset] != 0,
            BinaryPrimitives.ReadUInt32BigEndian(source[NextSeqnoOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[SkipRangesOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[RecordsOffset..]));
    }
}
