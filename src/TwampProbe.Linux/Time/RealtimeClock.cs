using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Time;

/// <summary>CLOCK_REALTIME via clock_gettime (vDSO), no allocation.</summary>
public static unsafe class RealtimeClock
{
    /// <summary>Nanoseconds since the Unix epoch.</summary>
    public static long UnixNanoseconds()
    {
        Timespec ts;
        ClockCalls.clock_gettime(ClockCalls.CLOCK_REALTIME, &ts);
        return ts.ToNanoseconds();
    }
}
