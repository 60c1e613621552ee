namespace TwampProbe.Linux.Interop;

/// <summary>struct sockaddr_in (16 bytes). Port and address are in network byte order.</summary>
internal unsafe struct SockAddrIn
{
    public ushort Family;
    public ushort PortBigEndian;
    public uint Address;
    public fixed byte Zero[8];
}
