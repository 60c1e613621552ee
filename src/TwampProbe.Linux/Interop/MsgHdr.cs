namespace TwampProbe.Linux.Interop;

/// <summary>struct msghdr (glibc LP64, 56 bytes).</summary>
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public Iovec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}
