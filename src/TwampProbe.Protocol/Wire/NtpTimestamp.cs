using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire;

/// <summary>
/// The 64-bit NTP timestamp of RFC 4656 §4.1.2: 32 bits of seconds since 1900-01-01 00:00 UTC
/// followed by a 32-bit binary fraction of a second. Also used as a 32.32 interval (Timeout).
/// </summary>
public readonly record struct NtpTimestamp(ulong Value)
{
    /// <summary>Seconds between the NTP epoch (1900) and the Unix epoch (1970).</summary>
    public const long UnixEpochOffsetSeconds = 2_208_988_800;
    const long NanosPerSecond = 1_000_000_000;

    public uint Seconds => (uint)(Value >> 32);
    public uint Fraction => (uint)Value;

    public static NtpTimestamp FromUnixNanoseconds(long unixNanoseconds)
    {
        long seconds = Math.DivRem(unixNanoseconds, NanosPerSecond, out long nanos);
        if (nanos < 0) { seconds--; nanos += NanosPerSecond; }
        // nanos < 10^9 < 2^30, so nanos · 2^32 < 2^62: the exact floor of nanos · 2^32 / 10^9 in 64 bits (twice
        // per reflected packet, T2 and T3: no 128-bit division).
        ulong fraction = ((ulong)nanos << 32) / (ulong)NanosPerSecond;
        // NTP era 0 wraps in February 2036; the 32-bit field simply wraps (RFC 5905 §6).
        uint ntpSeconds = unchecked((uint)(seconds + UnixEpochOffsetSeconds));
        return new NtpTimestamp(((ulong)ntpSeconds << 32) | fraction);
    }

    /// <summary>
    /// Unix time in nanoseconds. NTP seconds below 2^31 are taken to be in era 1 (after 2036-02-07),
    /// so the conversion stays right for this product's lifetime (RFC 5905 §6 era rule).
    /// </summary>
    public long ToUnixNanoseconds()
    {
        long seconds = Seconds;
        if (seconds < 0x8000_0000L) seconds += 1L << 32;
        long nanos = (long)(((ulong)Fraction * NanosPerSecond + (1UL << 31)) >> 32);
        return (seconds - UnixEpochOffsetSeconds) * NanosPerSecond + nanos;
    }

    /// <summary>An interval of <paramref name="nanoseconds"/> in 32.32 fixed point.</summary>
    public static NtpTimestamp FromInterval(long nanoseconds)
    {
        if (nanoseconds < 0) throw new ArgumentOutOfRangeException(nameof(nanoseconds));
        long seconds = Math.DivRem(nanoseconds, NanosPerSecond, out long nanos);
        // nanos < 10^9 < 2^30: the exact floor of nanos · 2^32 / 10^9 fits in 64 bits.
        ulong fraction = ((ulong)nanos << 32) / (ulong)NanosPerSecond;
        return new NtpTimestamp(((ulong)Math.Min(seconds, uint.MaxValue) << 32) | fraction);
    }

    /// <summary>This value read as a 32.32 interval, in nanoseconds.</summary>
    public long IntervalNanoseconds =>
        (long)Seconds * NanosPerSecond + (long)(((ulong)Fraction * NanosPerSecond + (1UL << 31)) >> 32);

    public static NtpTimestamp Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt64BigEndian(source));
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination, Value);

    public override string ToString() => $"{Seconds:x8}.{Fraction:x8}";
}
