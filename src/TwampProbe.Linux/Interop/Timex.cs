using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>
/// glibc struct timex for LP64 (x86_64 and aarch64 share this layout): 208 bytes.
/// Only the fields we read are declared; the rest is padding.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 208)]
internal struct Timex
{
    [FieldOffset(0)]
    public uint Modes;

    [FieldOffset(8)]
    public long Offset;

    [FieldOffset(16)]
    public long Freq;

    [FieldOffset(24)]
    public long MaxError;

    [FieldOffset(32)]
    public long EstError;

    [FieldOffset(40)]
    public int Status;

    [FieldOffset(160)]
    public int Tai;
}
