using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Owamp;

/// <summary>The RFC 4656 §5 generator and the §3.6 slot loop.</summary>
public class ScheduleTests
{
    /// <summary>
    /// RFC 4656 Appendix B: for each SID, the sum of the first 1,000,000 exponential deviates (mean 1,
    /// 32.32) "MUST" be exactly this value; the seconds are the RFC's approximations.
    /// </summary>
    [Theory]
    [InlineData("2872979303ab47eeac028dab3829dab2", 0x000f4479bd317381UL, 1000569.739036)]
    [InlineData("0102030405060708090a0b0c0d0e0f00", 0x000f433686466a62UL, 1000246.524512)]
    [InlineData("deadbeefdeadbeefdeadbeefdeadbeef", 0x000f416c8884d2d3UL, 999788.533277)]
    [InlineData("feed0feed1feed2feed3feed4feed5ab", 0x000f3f0b4b416ec8UL, 999179.293967)]
    public void SumOfAMillionDeviatesMatchesAppendixB(string sid, ulong expectedSum, double seconds)
    {
        using var random = new ScheduleRandom(B(sid));
        ulong sum = 0;
        for (int i = 0; i < 1_000_000; i++) sum += random.NextExponential();
        Assert.Equal(expectedSum, sum);
        Assert.Equal(seconds, sum / 4294967296.0, 5);
    }

    [Fact]
    public void UniformSourceIsAesOfTheCounterValuesZeroFourEight()
    {
        var sid = B("0102030405060708090a0b0c0d0e0f00");
        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = sid;
        var expected = new List<ulong>();
        foreach (byte counter in new byte[] { 0, 4, 8 })
        {
            var block = new byte[16];
            block[15] = counter;
            var s = aes.EncryptEcb(block, System.Security.Cryptography.PaddingMode.None);
            for (int i = 0; i < 4; i++) expected.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(s.AsSpan(4 * i)));
        }
        using var random = new ScheduleRandom(sid);
        Assert.Equal(expected, Enumerable.Range(0, 12).Select(_ => random.NextUniform()));
    }

    [Theory]
    [InlineData(0x1_0000_0000UL, 0xB17217F8UL, 0xB17217F8UL)]               // 1 × ln2
    [InlineData(0x2_8000_0000UL, 0x2_0000_0000UL, 0x5_0000_0000UL)]          // 2.5 × 2
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL, 0xFFFF_FFFF_FFFF_FFFFUL, 0xFFFF_FFFE_0000_0000UL)] // exact 128-bit product, bits 32..95 (overflow allowed, Appendix A)
    [InlineData(0xFFFF_FFFFUL, 0xFFFF_FFFFUL, 0xFFFF_FFFEUL)]
    public void MultiplyIsTheExactProductShiftedBy32(ulong u, ulong v, ulong expected) =>
        Assert.Equal(expected, ScheduleRandom.Multiply(u, v));

    [Fact]
    public void FixedSlotsGiveTheirDelayAndTheFirstPacketLeavesOneSlotAfterTheStart()
    {
        var slots = new[] { ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(10)) };
        var offsets = Schedule.Offsets(new byte[16], slots, 3);
        ulong d = slots[0].Parameter;
        Assert.Equal(new[] { d, 2 * d, 3 * d }, offsets);
        Assert.Equal(0x0000_0000_028F_5C28UL, d); // 0.01 s × 2^32, truncated
    }

    [Fact]
    public void SlotsRepeatCyclicallyAndOnlyExponentialSlotsDrawRandomNumbers()
    {
        var sid = B("deadbeefdeadbeefdeadbeefdeadbeef");
        var mean = ScheduleSlot.Exponential(TimeSpan.FromSeconds(1));
        var zero = ScheduleSlot.Fixed(TimeSpan.Zero);
        // Poisson stream of back-to-back pairs (RFC 4656 §3.6): exponential, fixed 0, exponential, fixed 0 …
        using var pairs = new Schedule(sid, [mean, zero]);
        using var random = new ScheduleRandom(sid);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(ScheduleRandom.Multiply(random.NextExponential(), mean.Parameter), pairs.NextDelay());
            Assert.Equal(0UL, pairs.NextDelay());
        }
    }

    [Fact]
    public void ExponentialSlotScalesTheUnitDeviateByItsMean()
    {
        var sid = B("2872979303ab47eeac028dab3829dab2");
        var slot = ScheduleSlot.Exponential(TimeSpan.FromMilliseconds(100));
        var offsets = Schedule.Offsets(sid, [slot], 1000);
        using var random = new ScheduleRandom(sid);
        ulong sum = 0;
        for (int i = 0; i < 1000; i++)
        {
            sum += ScheduleRandom.Multiply(random.NextExponential(), slot.Parameter);
            Assert.Equal(sum, offsets[i]);
        }
        // 1000 draws of mean 0.1 s: the mean is within 10 % of 0.1 s.
        Assert.InRange(Schedule.ToNanoseconds(offsets[^1]) / 1000 / 1e6, 90, 110);
    }

    [Fact]
    public void TheSameSidGivesTheSameScheduleAndAnotherSidAnother()
    {
        var slot = ScheduleSlot.Exponential(TimeSpan.FromMilliseconds(10));
        var a = Schedule.Offsets(B("0102030405060708090a0b0c0d0e0f00"), [slot], 100);
        var b = Schedule.Offsets(B("0102030405060708090a0b0c0d0e0f00"), [slot], 100);
        var c = Schedule.Offsets(B("0102030405060708090a0b0c0d0e0f01"), [slot], 100);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void SendTimeAddsTheOffsetToTheStartTime()
    {
        var start = new NtpTimestamp(0xeead9588_00c9ef1aUL);
        Assert.Equal(new NtpTimestamp(0xeead9588_03594b42UL), Schedule.SendTime(start, 0x028F5C28UL));
    }

    [Fact]
    public void SlotRoundTripsItsSixteenOctets()
    {
        var bytes = B("0100000000000000 00000000028f5c28");
        var slot = ScheduleSlot.Read(bytes);
        Assert.Equal(ScheduleSlotType.Fixed, slot.Type);
        Assert.Equal(10_000_000, slot.ParameterNanoseconds, 1.0);
        var written = new byte[16];
        written.AsSpan().Fill(0xff);
        slot.Write(written);
        Assert.Equal(H(bytes), H(written));
    }

    [Fact]
    public void UnknownSlotTypeIsRejected() =>
        Assert.Throws<ArgumentException>(() => new Schedule(new byte[16], [new ScheduleSlot((ScheduleSlotType)2, 1)]));

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(999_999_999L)]
    [InlineData(10_000_000L)]
    [InlineData(3_600_000_000_000L)]
    public void NanosecondConversionRoundTripsWithinOneNanosecond(long ns) =>
        Assert.InRange(Schedule.ToNanoseconds(Schedule.FromNanoseconds(ns)) - ns, -1, 1);
}
