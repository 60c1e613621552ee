using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// The OWAMP-Test session data that follows a Fetch-Ack with Accept = 0 (RFC 4656 §3.9): four parts,
/// each ending in an HMAC over the plaintext since the previous one.
/// <code>
/// 1  112           the Request-Session preamble that set up the session, with the ports actually used
/// 2  16n + 16      its schedule slots + HMAC
/// 3  pad16(8k) + 16  k Skip Ranges, zero padded + HMAC (over zero octets when k = 0)
/// 4  pad16(25r) + 16 r packet records in arrival order, zero padded + HMAC
/// </code>
/// k and r are the Number of Skip Ranges and Number of Records of the Fetch-Ack.
/// </summary>
public sealed record SessionData(RequestSession Request, IReadOnlyList<SkipRange> SkipRanges, IReadOnlyList<PacketRecord> Records)
{
    /// <summary>Octets of part 3 (skip ranges + HMAC).</summary>
    public static long SkipPartLength(uint skipRanges) => SkipRange.PaddedLength(skipRanges) + ControlCipher.HmacLength;

    /// <summary>Octets of part 4 (records + HMAC).</summary>
    public static long RecordPartLength(uint records) => PacketRecord.PaddedLength(records) + ControlCipher.HmacLength;

    int SkipPart => (int)SkipPartLength((uint)SkipRanges.Count);
    int RecordPart => (int)RecordPartLength((uint)Records.Count);

    public int Length => Request.Length + SkipPart + RecordPart;

    /// <summary>Writes all four parts (HMAC fields zero; <see cref="Seal"/> then protects them).</summary>
    public void Write(Span<byte> destination)
    {
        var d = destination[..Length];
        d.Clear();
        Request.Write(d);
        var skips = d.Slice(Request.Length, SkipPart);
        for (int i = 0; i < SkipRanges.Count; i++) SkipRanges[i].Write(skips[(i * SkipRange.Size)..]);
        WriteRecords(Records, d.Slice(Request.Length + SkipPart, RecordPart));
    }

    /// <summary>Writes records back to back (25 octets each) from the start of <paramref name="destination"/>.</summary>
    public static void WriteRecords(IReadOnlyList<PacketRecord> records, Span<byte> destination)
    {
        for (int i = 0; i < records.Count; i++) records[i].Write(destination.Slice(i * PacketRecord.Size, PacketRecord.Size));
    }

    /// <summary>Seals a buffer written by <see cref="Write"/>: the four HMACs, encrypting everything in the stream.</summary>
    public void Seal(ControlCipher cipher, Span<byte> message)
    {
        RequestSession.Seal(cipher, message[..Request.Length]);
        cipher.SealWithHmac(message.Slice(Request.Length, SkipPart));
        cipher.SealWithHmac(message.Slice(Request.Length + SkipPart, RecordPart));
    }

    /// <summary>Decodes plaintext session data announced by a Fetch-Ack with these counts (HMAC fields not looked at).</summary>
    public static SessionData Parse(ReadOnlySpan<byte> data, uint skipRanges, uint records)
    {
        var request = RequestSession.Parse(data);
        long skipPart = SkipPartLength(skipRanges), recordPart = RecordPartLength(records);
        if (data.Length < request.Length + skipPart + recordPart)
            throw new ControlProtocolException($"session data with {skipRanges} skip range(s) and {records} record(s) is {request.Length + skipPart + recordPart} octets, got {data.Length}");
        var skips = new SkipRange[skipRanges];
        var s = data.Slice(request.Length, (int)skipPart);
        for (int i = 0; i < skips.Length; i++) skips[i] = SkipRange.Read(s[(i * SkipRange.Size)..]);
        var list = new PacketRecord[records];
        var r = data.Slice(request.Length + (int)skipPart, (int)recordPart);
        for (int i = 0; i < list.Length; i++) list[i] = PacketRecord.Read(r.Slice(i * PacketRecord.Size, PacketRecord.Size));
        return new SessionData(request, skips, list);
    }
}
