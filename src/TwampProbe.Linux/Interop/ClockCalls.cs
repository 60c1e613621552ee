using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>clock_gettime/adjtimex (absent from Tmds.LibC 0.5.0).</summary>
internal static unsafe partial class ClockCalls
{
    internal const int CLOCK_REALTIME = 0;
    internal const int CLOCK_MONOTONIC = 1;
    internal const int TIME_ERROR = 5;
    internal const int STA_UNSYNC = 0x0040;

    /// <summary>
    /// CLOCK_REALTIME / CLOCK_MONOTONIC only: glibc answers from the vDSO (no syscall) and the call
    /// cannot fail for these clocks and a valid pointer, so no errno is saved and there is no GC
    /// transition — it runs for every test packet. A clock that can fail or enter the kernel (a PHC's
    /// dynamic clock id) needs an import of its own with SetLastError.
    /// </summary>
    [LibraryImport("libc")]
    [SuppressGCTransition]
    internal static partial int clock_gettime(int clockId, Timespec* tp);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int adjtimex(Timex* buf);
}
