using System.Diagnostics;
using TwampProbe.Linux.Time;
using Xunit;

namespace TwampProbe.Linux.Tests;

public sealed class MonotonicClockTests
{
    [Fact]
    public void MonotonicClockAdvancesWithStopwatchAndNeverGoesBack()
    {
        // Each Stopwatch reading is bracketed by two of the clock under test, so that the thread being
        // preempted between two readings (milliseconds on a busy host) widens a bracket instead of failing.
        long before = MonotonicClock.Nanoseconds();
        var sw = Stopwatch.StartNew();
        long start = MonotonicClock.Nanoseconds();
        long previous = start;
        while (sw.ElapsedMilliseconds < 50)
        {
            long now = MonotonicClock.Nanoseconds();
            Assert.True(now >= previous, $"CLOCK_MONOTONIC went back: {previous} -> {now}");
            previous = now;
        }
        long end = MonotonicClock.Nanoseconds();
        long swElapsed = sw.Elapsed.Ticks * 100;
        long after = MonotonicClock.Nanoseconds();
        // It advances at the Stopwatch's rate: the inner interval is within the Stopwatch's, the outer one around it.
        Assert.True(swElapsed >= 50_000_000, $"{swElapsed} ns");
        Assert.True(end - start <= swElapsed + 1_000_000, $"CLOCK_MONOTONIC advanced {end - start} ns within {swElapsed} ns of Stopwatch");
        Assert.True(after - before >= swElapsed - 1_000_000, $"CLOCK_MONOTONIC advanced {after - before} ns around {swElapsed} ns of Stopwatch");
        // Stopwatch is CLOCK_MONOTONIC too on Linux: same origin, within a millisecond.
        long lo = MonotonicClock.Nanoseconds();
        double stopwatchNs = Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency);
        long hi = MonotonicClock.Nanoseconds();
        Assert.InRange(stopwatchNs, lo - 1e6, hi + 1e6);
    }
}
