using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>Owns a Linux file descriptor; closes it exactly once.</summary>
internal sealed class SafeFileDescriptor : SafeHandle
{
    public SafeFileDescriptor() : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    public SafeFileDescriptor(int fd) : base(new IntPtr(-1), ownsHandle: true)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor (only meaningful while not closed).</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => FileCalls.close((int)handle.ToInt64()) == 0;
}
