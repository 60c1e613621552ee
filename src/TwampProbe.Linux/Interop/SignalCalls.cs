using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>signal(2), for restoring a default disposition inherited as ignored.</summary>
internal static partial class SignalCalls
{
    internal const int SIGHUP = 1;
    internal static readonly nint SIG_DFL = 0;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint signal(int signum, nint handler);
}
