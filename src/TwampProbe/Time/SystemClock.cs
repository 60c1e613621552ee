using System.Diagnostics;
using TwampProbe.Linux.Time;

namespace TwampProbe.Time;

/// <summary>
/// The two clocks the probe reads. Timers, deadlines and schedules use <see cref="MonotonicNanoseconds"/>
/// (CLOCK_MONOTONIC: never steps, so an NTP step on a board without an RTC changes nothing);
/// <see cref="UnixNanoseconds"/> (CLOCK_REALTIME) is read only to write timestamps. The seam lets
/// tests step the wall clock by an hour each way.
/// </summary>
public interface IClock
{
    long MonotonicNanoseconds { get; }
    long UnixNanoseconds { get; }
}

/// <summary>The kernel's clocks (vDSO reads, no allocation).</summary>
public sealed class SystemClock : IClock
{
    public static readonly SystemClock Instance = new();

    static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;

    SystemClock() { }

    /// <summary>CLOCK_MONOTONIC in nanoseconds (Stopwatch reads it on Linux).</summary>
    public long MonotonicNanoseconds => Stopwatch.Frequency == 1_000_000_000
        ? Stopwatch.GetTimestamp()
        : (long)(Stopwatch.GetTimestamp() * NsPerTick);

    public long UnixNanoseconds => RealtimeClock.UnixNanoseconds();
}
