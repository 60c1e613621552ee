using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>struct ifreq (40 bytes on LP64) used with ifr_data.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct IfReq
{
    public const int NameSize = 16;

    [FieldOffset(0)]
    public fixed byte Name[NameSize];

    [FieldOffset(16)]
    public void* Data;
}
