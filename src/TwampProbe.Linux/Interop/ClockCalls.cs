using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>clock_gettime/adjtimex (absent from Tmds.LibC 0.5.0).</summary>
internal static unsafe partial class ClockCalls
{
    internal const int CLOCK_REALTIME = 0;
    internal const int CLOCK_MONOTONIC = 1;
    internal const int TIME_ERROR = 5;
    internal const int STA_UNSYNC = 0x0040;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int clock_gettime(int clockId, Timespec* tp);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int adjtimex(Timex* buf);
}
