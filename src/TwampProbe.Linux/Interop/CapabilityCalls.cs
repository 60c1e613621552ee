using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>prctl and capset, which Tmds.LibC 0.5.0 lacks.</summary>
internal static unsafe partial class CapabilityCalls
{
    public const int PR_SET_KEEPCAPS = 8;
    public const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    public const long SYS_capset_x64 = 126, SYS_capset_arm64 = 91;

    [StructLayout(LayoutKind.Sequential)]
    public struct CapHeader { public uint Version; public int Pid; }

    [StructLayout(LayoutKind.Sequential)]
    public struct CapData { public uint Effective; public uint Permitted; public uint Inheritable; }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int capset(CapHeader* header, CapData* data);
}
