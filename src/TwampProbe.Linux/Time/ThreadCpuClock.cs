using System.Runtime.InteropServices;
using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Time;

/// <summary>
/// CLOCK_THREAD_CPUTIME_ID: the CPU time (user + system) the calling thread has used. Unlike
/// CLOCK_MONOTONIC it enters the kernel (no vDSO), so it is read at the start and end of a loop, never
/// per packet.
/// </summary>
public static unsafe partial class ThreadCpuClock
{
    const int CLOCK_THREAD_CPUTIME_ID = 3;

    [LibraryImport("libc")]
    private static partial int clock_gettime(int clockId, Timespec* tp);

    /// <summary>Nanoseconds of CPU the calling thread has used since it started.</summary>
    public static long Nanoseconds()
    {
        Timespec ts;
        // Cannot fail for the calling thread and a valid pointer.
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return ts.ToNanoseconds();
    }
}
