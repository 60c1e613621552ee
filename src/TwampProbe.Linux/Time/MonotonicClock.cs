using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Time;

/// <summary>
/// CLOCK_MONOTONIC via clock_gettime (vDSO), no allocation: for schedules, deadlines and timeouts.
/// Unlike CLOCK_REALTIME it never jumps when NTP (or an operator) steps the wall clock.
/// </summary>
public static unsafe class MonotonicClock
{
    /// <summary>Nanoseconds since an arbitrary fixed point (boot); only differences mean something.</summary>
    public static long Nanoseconds()
    {
        Timespec ts;
        ClockCalls.clock_gettime(ClockCalls.CLOCK_MONOTONIC, &ts);
        return ts.ToNanoseconds();
    }
}
