namespace TwampProbe.Linux.Interop;

/// <summary>struct ethtool_ts_info (48 bytes), ETHTOOL_GET_TS_INFO through SIOCETHTOOL: the NIC's PHC index.</summary>
internal unsafe struct EthtoolTsInfo
{
    public uint Cmd;
    public uint SoTimestamping;
    public int PhcIndex;
    public uint TxTypes;
    public fixed uint TxReserved[3];
    public uint RxFilters;
    public fixed uint RxReserved[3];
}
