namespace TwampProbe.Linux.Interop;

/// <summary>struct cmsghdr (16 bytes on LP64); data follows at CMSG_ALIGN(sizeof(cmsghdr)).</summary>
internal struct CMsgHdr
{
    public nuint Length;
    public int Level;
    public int Type;
}
