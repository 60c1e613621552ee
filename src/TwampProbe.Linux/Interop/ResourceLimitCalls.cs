using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>getrlimit/setrlimit, which Tmds.LibC 0.5.0 lacks.</summary>
internal static unsafe partial class ResourceLimitCalls
{
    /// <summary>RLIMIT_NOFILE: the same number (7) on x86-64 and arm64 (asm-generic).</summary>
    internal const int RLIMIT_NOFILE = 7;
    /// <summary>RLIMIT_MEMLOCK (8), also asm-generic.</summary>
    internal const int RLIMIT_MEMLOCK = 8;
    internal const ulong RLIM_INFINITY = ulong.MaxValue;

    /// <summary>struct rlimit (rlim_t is 64-bit on both 64-bit targets).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int getrlimit(int resource, RLimit* rlim);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int setrlimit(int resource, RLimit* rlim);
}
