using static TwampProbe.Linux.Interop.LinuxConstants;

namespace TwampProbe.Linux.Net;

/// <summary>What to do with a NIC's hardware timestamping setting.</summary>
/// <param name="Set">Whether to send SIOCSHWTSTAMP (tx ON, rx filter ALL).</param>
/// <param name="Rx">Hardware RX timestamps cover TWAMP test packets with the setting as it is (or will be).</param>
/// <param name="Tx">Hardware TX timestamps are on.</param>
/// <param name="Reason">Why hardware RX or TX timestamps are not used (null when both are).</param>
public readonly record struct HardwareTimestampDecision(bool Set, bool Rx, bool Tx, string? Reason);

/// <summary>
/// The rules for touching a NIC's timestamping setting (struct hwtstamp_config, read with SIOCGHWTSTAMP first):
/// <list type="bullet">
/// <item>Nobody uses it (rx filter NONE, tx OFF or ON): ask once for tx ON and rx filter ALL.</item>
/// <item>Someone set an rx filter (a PTP daemon such as ptp4l, another program, or an earlier run): keep it,
/// never override it. Hardware RX timestamps are used only if that filter is ALL (a PTP filter timestamps
/// PTP event messages only); otherwise test packets get software RX timestamps.</item>
/// <item>After our request the driver may answer ALL or SOME ("all packets requested plus some others").</item>
/// </list>
/// </summary>
public static class HardwareTimestampPolicy
{
    public static HardwareTimestampDecision Decide(string ifName, int txType, int rxFilter)
    {
        if (rxFilter == HWTSTAMP_FILTER_NONE && (txType == HWTSTAMP_TX_OFF || txType == HWTSTAMP_TX_ON))
            return new(true, false, false, null);
        bool rx = rxFilter == HWTSTAMP_FILTER_ALL;
        bool tx = txType == HWTSTAMP_TX_ON;
        string? reason = rx && tx ? null
            : $"{ifName} timestamping was set by another program (a PTP daemon?) to tx {TxName(txType)}, rx filter {FilterName(rxFilter)}; kept as it is, "
              + (rx ? "software TX timestamps" : tx ? "software RX timestamps" : "software RX and TX timestamps");
        return new(false, rx, tx, reason);
    }

    /// <summary>The setting the driver reports after our SIOCSHWTSTAMP request.</summary>
    public static HardwareTimestampDecision AfterSet(string ifName, int txType, int rxFilter)
    {
        bool rx = rxFilter == HWTSTAMP_FILTER_ALL || rxFilter == HWTSTAMP_FILTER_SOME;
        bool tx = txType == HWTSTAMP_TX_ON;
        string? reason = rx && tx ? null
            : $"{ifName}: the driver set tx {TxName(txType)}, rx filter {FilterName(rxFilter)} when asked for tx on, rx filter all; "
              + (rx ? "software TX timestamps" : tx ? "software RX timestamps" : "software RX and TX timestamps");
        return new(false, rx, tx, reason);
    }

    static string TxName(int t) => t switch { 0 => "off", 1 => "on", 2 => "onestep-sync", 3 => "onestep-p2p", _ => t.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    static string FilterName(int f) => f switch
    {
        0 => "none", 1 => "all", 2 => "some",
        >= 3 and <= 14 => $"ptp ({f})",
        15 => "ntp-all",
        _ => f.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
