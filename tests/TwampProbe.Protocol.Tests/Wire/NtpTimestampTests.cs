using TwampProbe.Protocol.Wire;
using Xunit;

namespace TwampProbe.Protocol.Tests.Wire;

public class NtpTimestampTests
{
    static long UnixNs(DateTimeOffset t) => (t - DateTimeOffset.UnixEpoch).Ticks * 100;

    [Fact]
    public void UnixTimeConvertsToNtpSecondsSince1900()
    {
        // 2026-11-22T16:22:33Z = Unix 1795364553; + 2 208 988 800 = 0xEEAD9549 (the twamp_A session).
        var t = NtpTimestamp.FromUnixNanoseconds(UnixNs(new DateTimeOffset(2026, 11, 22, 16, 22, 33, TimeSpan.Zero)));
        Assert.Equal(0xEEAD9549u, t.Seconds);
        Assert.Equal(0u, t.Fraction);
    }

    [Fact]
    public void HalfASecondIsFractionTwoToThe31()
    {
        var t = NtpTimestamp.FromUnixNanoseconds(1_795_364_553_500_000_000);
        Assert.Equal(0xEEAD9549_80000000ul, t.Value);
    }

    [Fact]
    public void NtpSecondsConvertBackToUnixTime()
    {
        long ns = new NtpTimestamp(0xEEAD9549_40000000).ToUnixNanoseconds();
        Assert.Equal(UnixNs(new DateTimeOffset(2026, 11, 22, 16, 22, 33, TimeSpan.Zero)) + 250_000_000, ns);
    }

    [Fact]
    public void UnixEpochIsNtpSeconds2208988800()
    {
        Assert.Equal(2_208_988_800u, NtpTimestamp.FromUnixNanoseconds(0).Seconds);
        Assert.Equal(0, new NtpTimestamp(2_208_988_800ul << 32).ToUnixNanoseconds());
    }

    [Fact]
    public void RoundTripLosesLessThanOneNanosecond()
    {
        var rng = new Random(42);
        long from = UnixNs(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        long to = UnixNs(new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero));
        for (int i = 0; i < 10_000; i++)
        {
            long ns = rng.NextInt64(from, to);
            Assert.Equal(ns, NtpTimestamp.FromUnixNanoseconds(ns).ToUnixNanoseconds());
        }
    }

    [Fact]
    public void SmallNtpSecondsAreInEraOneAfter2036()
    {
        // NTP era 0 ends 2036-02-07T06:28:16Z; seconds 0x10 are 16 s later.
        long ns = new NtpTimestamp(0x00000010_00000000).ToUnixNanoseconds();
        Assert.Equal(UnixNs(new DateTimeOffset(2036, 2, 7, 6, 28, 32, TimeSpan.Zero)), ns);
    }

    [Fact]
    public void TimesAfter2036WrapTheSecondsFieldAndRoundTrip()
    {
        long ns = UnixNs(new DateTimeOffset(2040, 6, 1, 12, 0, 0, TimeSpan.Zero)) + 123_456_789;
        var t = NtpTimestamp.FromUnixNanoseconds(ns);
        Assert.True(t.Seconds < 0x8000_0000u);
        Assert.Equal(ns, t.ToUnixNanoseconds());
    }

    [Fact]
    public void IntervalOfTwoSecondsAnd110MicrosecondsIsTheCaptureTimeout()
    {
        Assert.Equal(0x00000002_0007357eul, NtpTimestamp.FromInterval(2_000_110_000).Value);
        Assert.Equal(2_000_110_000, new NtpTimestamp(0x00000002_0007357e).IntervalNanoseconds);
    }

    [Fact]
    public void NegativeIntervalIsRefused() => Assert.Throws<ArgumentOutOfRangeException>(() => NtpTimestamp.FromInterval(-1));

    [Fact]
    public void TimestampIsBigEndianOnTheWire()
    {
        byte[] b = new byte[10];
        new NtpTimestamp(0x0102030405060708).Write(b.AsSpan(1));
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 0 }, b);
        Assert.Equal(0x0102030405060708ul, NtpTimestamp.Read(b.AsSpan(1)).Value);
    }

    [Fact]
    public void FractionIsTheExactFloorOfNanosecondsTimesTwoToThe32OverOneBillion()
    {
        var random = new Random(5357);
        long[] edges = [0, 1, 999_999_999, 1_000_000_000, -1, -999_999_999, 500_000_000, 1_795_364_553_999_999_999];
        foreach (long ns in edges.Concat(Enumerable.Range(0, 10_000).Select(_ => random.NextInt64(-4_000_000_000_000_000_000, 4_000_000_000_000_000_000))))
        {
            long nanos = ((ns % 1_000_000_000) + 1_000_000_000) % 1_000_000_000;
            ulong expected = (ulong)(((System.UInt128)(ulong)nanos << 32) / 1_000_000_000);
            Assert.Equal(expected, NtpTimestamp.FromUnixNanoseconds(ns).Fraction);
            if (ns >= 0) Assert.Equal(expected, NtpTimestamp.FromInterval(ns).Fraction);
        }
    }
}
