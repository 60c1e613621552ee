using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>Generic descriptor calls: close/read/write.</summary>
internal static unsafe partial class FileCalls
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint write(int fd, void* buf, nuint count);
}
