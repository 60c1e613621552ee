using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>Owns a zeroed, 64-byte aligned block of native memory.</summary>
internal sealed unsafe class NativeMemoryHandle : SafeHandle
{
    public NativeMemoryHandle(nuint bytes) : base(IntPtr.Zero, ownsHandle: true)
    {
        void* p = NativeMemory.AlignedAlloc(bytes == 0 ? 1 : bytes, 64);
        NativeMemory.Clear(p, bytes);
        SetHandle((IntPtr)p);
        Length = bytes;
    }

    public nuint Length { get; }

    public byte* Pointer => (byte*)handle;

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMemory.AlignedFree((void*)handle);
        return true;
    }
}
