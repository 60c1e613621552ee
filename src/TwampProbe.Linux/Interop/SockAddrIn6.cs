namespace TwampProbe.Linux.Interop;

/// <summary>struct sockaddr_in6 (28 bytes). Port, flow info and address in network byte order.</summary>
internal unsafe struct SockAddrIn6
{
    public ushort Family;
    public ushort PortBigEndian;
    public uint FlowInfo;
    public fixed byte Address[16];
    public uint ScopeId;
}
