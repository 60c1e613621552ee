namespace TwampProbe.Linux.Interop;

/// <summary>struct hwtstamp_config (12 bytes).</summary>
internal struct HwTstampConfig
{
    public int Flags;
    public int TxType;
    public int RxFilter;
}
