using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>Opening a PTP hardware clock (/dev/ptpN) and naming it as a dynamic POSIX clock.</summary>
internal static unsafe partial class PhcCalls
{
    internal const int O_RDONLY = 0;
    internal const int O_CLOEXEC = 0x80000;
    /// <summary>CLOCKFD: the low bits of a dynamic clock id (linux/posix-timers.h).</summary>
    internal const int CLOCKFD = 3;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags);

    /// <summary>FD_TO_CLOCKID(fd) = ((~fd) &lt;&lt; 3) | CLOCKFD: clock_gettime on it reads the PHC.</summary>
    internal static int FdToClockId(int fd) => (~fd << 3) | CLOCKFD;
}
