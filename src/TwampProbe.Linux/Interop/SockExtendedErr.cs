namespace TwampProbe.Linux.Interop;

/// <summary>struct sock_extended_err (16 bytes).</summary>
internal struct SockExtendedErr
{
    public uint Errno;
    public byte Origin;
    public byte Type;
    public byte Code;
    public byte Pad;
    public uint Info;
    public uint Data;
}
