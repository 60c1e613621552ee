namespace TwampProbe.Linux.Interop;

/// <summary>
/// struct in_pktinfo (12 bytes, ip(7)): received with IP_PKTINFO, sent as an IP_PKTINFO cmsg to choose
/// the source address (ipi_spec_dst). Addresses in network byte order.
/// </summary>
internal struct InPktInfo
{
    public int InterfaceIndex;
    public uint SpecificDestination;
    public uint Address;
}
