using TwampProbe.Linux.Time;
using Xunit;

namespace TwampProbe.Linux.Tests.Time;

/// <summary>PHC → system time with a fake PHC whose offset and drift are known (veth and lo have no PHC).</summary>
public sealed class PhcTimescaleTests
{
    const long Start = 1_700_000_000_000_000_000;
    const long Tai = 37_000_000_000; // a PHC run on TAI by ptp4l is 37 s ahead of UTC

    [Fact]
    public void TaiPhcTimeIsConvertedToSystemTimeWithTheMeasuredOffset()
    {
        var fake = new FakePhc(Start, Tai, 0);
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);

        long t = Start + 5_000_000; // 5 ms later
        Assert.True(scale.TryToSystem(fake.PhcAt(t), out long system));
        Assert.InRange(system - t, -50, 50);
        Assert.InRange(scale.OffsetNs, -Tai - 50, -Tai + 50);
        Assert.Null(scale.Problem);
    }

    [Fact]
    public void DriftMeasuredBetweenRefreshesIsFollowed()
    {
        var fake = new FakePhc(Start, Tai, 50e-6); // the PHC runs 50 ppm fast
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);
        fake.System += 1_000_000_000;
        Assert.True(scale.Refresh());

        long t = fake.System + 500_000_000; // half a second after the last refresh
        Assert.True(scale.TryToSystem(fake.PhcAt(t), out long system));
        // Without the rate the error would be 25 µs (50 ppm × 0.5 s).
        Assert.InRange(system - t, -100, 100);
        Assert.InRange(scale.Drift, -50.1e-6, -49.9e-6);
    }

    [Fact]
    public void NarrowestBracketIsKept()
    {
        // Brackets 40 µs wide with the PHC read at their end (20 µs off the midpoint), and some 200 ns wide.
        var fake = new FakePhc(Start, Tai, 0) { Advances = [40_000, 0, 40_000, 0, 200, 0, 40_000, 0] };
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);

        Assert.Equal(100, scale.UncertaintyNs);
        Assert.InRange(scale.OffsetNs, -Tai - 100, -Tai + 100);
    }

    [Fact]
    public void UnreadablePhcGivesNoConversion()
    {
        var fake = new FakePhc(Start, Tai, 0) { Fails = true };
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);

        Assert.False(scale.TryToSystem(Start + Tai, out _));
        Assert.Contains("fake-phc", scale.Problem);
    }

    [Fact]
    public void MappingIsDroppedWhenThePhcStaysUnreadable()
    {
        var fake = new FakePhc(Start, Tai, 0);
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);
        fake.Fails = true;
        fake.System += PhcTimescale.MaxAgeNs / 2;
        Assert.False(scale.Refresh());
        Assert.True(scale.TryToSystem(Start + Tai, out _)); // still fresh enough

        fake.System += PhcTimescale.MaxAgeNs;
        Assert.False(scale.Refresh());
        Assert.False(scale.TryToSystem(Start + Tai, out _));
    }

    [Fact]
    public void StepOfTheSystemClockRestartsTheRateAndFollowsTheNewOffset()
    {
        var fake = new FakePhc(Start, Tai, 0);
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);
        fake.System += 1_000_000_000;
        Assert.True(scale.Refresh());
        fake.OffsetNs -= 3_600_000_000_000; // NTP steps the wall clock an hour forward: the PHC is now an hour "behind"
        fake.System += 1_000_000_000;
        Assert.True(scale.Refresh());

        Assert.Equal(0.0, scale.Drift); // a step is not drift
        long t = fake.System + 1_000;
        Assert.True(scale.TryToSystem(fake.PhcAt(t), out long system));
        Assert.InRange(system - t, -50, 50);
    }

    [Fact]
    public void StartedRefreshRereadsThePhcPeriodically()
    {
        var fake = new FakePhc(Start, Tai, 0);
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);
        Assert.Equal(PhcTimescale.Samples, fake.Reads); // once, at construction

        scale.StartRefresh(TimeSpan.FromMilliseconds(10));
        scale.StartRefresh(TimeSpan.FromMilliseconds(10)); // idempotent: still one timer
        long deadline = Environment.TickCount64 + 5000;
        while (fake.Reads < 3 * PhcTimescale.Samples && Environment.TickCount64 < deadline) Thread.Sleep(5);
        Assert.True(fake.Reads >= 3 * PhcTimescale.Samples, $"{fake.Reads} reads");
    }
}
