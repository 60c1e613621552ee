using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// OWAMP Stop-Sessions, sent by either side (RFC 4656 §3.8):
/// <code>
///  0  1 Command Number (3)   1  1 Accept   2  2 MBZ
///  4  4 Number of Sessions   8  8 MBZ
/// 16  … Number of Sessions × StopSessionRecord (each whole blocks)
///  … 16 HMAC over everything above
/// </code>
/// Each side lists its own send sessions not yet stopped; Accept ≠ 0 makes every result of the
/// control connection invalid.
/// </summary>
public sealed record StopSessions(AcceptCode Accept, IReadOnlyList<StopSessionRecord> Sessions)
{
    /// <summary>The first block, the layout of TWAMP's Stop-Sessions body (<see cref="ShortControlMessage"/>).</summary>
    public const int HeaderSize = ShortControlMessage.BodySize;

    public int Length => HeaderSize + Sessions.Sum(s => s.Size) + ControlCipher.HmacLength;

    /// <summary>Writes the whole message (HMAC field zero; seal it with <see cref="ControlCipher.SealWithHmac"/>).</summary>
    public void Write(Span<byte> destination)
    {
        var d = destination[..Length];
        d.Clear();
        ShortControlMessage.WriteStopSessions(d, Accept, (uint)Sessions.Count);
        int at = HeaderSize;
        foreach (var s in Sessions)
        {
            s.Write(d[at..]);
            at += s.Size;
        }
    }

    /// <summary>Accept and Number of Sessions from the first block.</summary>
    public static (AcceptCode Accept, uint Sessions) ParseHeader(ReadOnlySpan<byte> firstBlock) => ShortControlMessage.ParseStopSessions(firstBlock);

    /// <summary>Decodes a whole plaintext message (the HMAC field is not looked at).</summary>
    public static StopSessions Parse(ReadOnlySpan<byte> message)
    {
        var (accept, count) = ParseHeader(message);
        var records = new List<StopSessionRecord>();
        int at = HeaderSize;
        for (uint i = 0; i < count; i++)
        {
            if (message.Length - at < StopSessionRecord.MinimumSize) throw new ControlProtocolException($"Stop-Sessions announces {count} session(s), has {i}");
            var record = StopSessionRecord.Parse(message[at..]);
            records.Add(record);
            at += record.Size;
        }
        return new StopSessions(accept, records);
    }
}
