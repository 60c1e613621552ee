using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire;

/// <summary>
/// The 16-bit Error Estimate of RFC 4656 §4.1.2:
/// <code>
///  0                   1
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |S|Z|   Scale   |   Multiplier  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Error = Multiplier × 2^(Scale − 32) seconds. S = clock synchronized to UTC by an external source.
/// Z is MBZ (RFC 8186 reuses it for PTP format). "Multiplier MUST NOT be set to 0."
/// </summary>
public readonly record struct ErrorEstimate(ushort Value)
{
    const ushort SyncBit = 0x8000;
    const ushort ZBit = 0x4000;

    public bool Synchronized => (Value & SyncBit) != 0;
    public bool PtpFormat => (Value & ZBit) != 0;
    public int Scale => (Value >> 8) & 0x3F;
    public int Multiplier => Value & 0xFF;

    /// <summary>A zero multiplier marks a corrupt estimate (RFC 4656 §4.1.2: MUST NOT be 0).</summary>
    public bool IsValid => Multiplier != 0;

    /// <summary>The estimated error in seconds (NaN when invalid).</summary>
    public double ErrorSeconds => IsValid ? Multiplier * Math.Pow(2, Scale - 32) : double.NaN;

    /// <summary>
    /// Encodes an error bound. The value is rounded up so the estimate is never smaller than
    /// the real error: e = ceil(error × 2^32); shift right until e &lt; 255 (Scale counts the
    /// shifts); Multiplier = e + 1. Matches perfSONAR's encoding of a synchronized clock.
    /// </summary>
    public static ErrorEstimate FromError(double errorSeconds, bool synchronized)
    {
        if (double.IsNaN(errorSeconds) || errorSeconds < 0) errorSeconds = 0;
        double e = Math.Ceiling(errorSeconds * 4294967296.0);
        int scale = 0;
        while (e >= 255 && scale < 63) { e = Math.Floor(e / 2); scale++; }
        int multiplier = (int)Math.Min(e + 1, 255);
        ushort value = (ushort)((scale << 8) | multiplier);
        if (synchronized) value |= SyncBit;
        return new ErrorEstimate(value);
    }

    public static ErrorEstimate Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt16BigEndian(source));
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt16BigEndian(destination, Value);

    public override string ToString() =>
        IsValid ? $"{(Synchronized ? "sync" : "unsync")} ±{ErrorSeconds * 1e6:0.###}us" : $"invalid(0x{Value:x4})";
}
