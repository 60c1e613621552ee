using System.Diagnostics;
using TwampProbe.Linux.Time;
using Xunit;

namespace TwampProbe.Linux.Tests;

public sealed class MonotonicClockTests
{
    [Fact]
    public void MonotonicClockAdvancesWithStopwatchAndNeverGoesBack()
    {
        long start = MonotonicClock.Nanoseconds();
        var sw = Stopwatch.StartNew();
        long previous = start;
        while (sw.ElapsedMilliseconds < 50)
        {
            long now = MonotonicClock.Nanoseconds();
            Assert.True(now >= previous, $"CLOCK_MONOTONIC went back: {previous} -> {now}");
            previous = now;
        }
        long elapsed = MonotonicClock.Nanoseconds() - start;
        Assert.InRange(elapsed, 50_000_000, 50_000_000 + 20_000_000 + sw.Elapsed.Ticks * 100);
        // Stopwatch is CLOCK_MONOTONIC too on Linux: same origin, within a millisecond.
        Assert.InRange(Math.Abs(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency) - MonotonicClock.Nanoseconds()), 0, 1e6);
    }
}
