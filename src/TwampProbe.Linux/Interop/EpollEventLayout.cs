using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>
/// struct epoll_event is packed (12 bytes, data at 4) on x86_64 but naturally aligned
/// (16 bytes, data at 8) elsewhere, so it is accessed through this runtime-chosen layout.
/// </summary>
internal static unsafe class EpollEventLayout
{
    public static readonly bool Packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public static int Size => Packed ? 12 : 16;

    public static int DataOffset => Packed ? 4 : 8;

    public static void Write(byte* ev, uint events, ulong data)
    {
        *(uint*)ev = events;
        Unsafe.WriteUnaligned(ev + DataOffset, data);
    }

    public static uint Events(byte* ev) => *(uint*)ev;

    public static ulong Data(byte* ev) => Unsafe.ReadUnaligned<ulong>(ev + DataOffset);
}
