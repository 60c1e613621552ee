namespace TwampProbe.Linux.Interop;

/// <summary>struct mmsghdr (64 bytes on LP64).</summary>
internal struct MMsgHdr
{
    public MsgHdr Header;
    public uint Length;
}
