using System.Runtime.InteropServices;
using System.Text;
using TwampProbe.Linux.Interop;
using TwampProbe.Linux.Time;
using static TwampProbe.Linux.Interop.LinuxConstants;

namespace TwampProbe.Linux.Net;

/// <summary>The hardware timestamping an interface gives this process, found once per interface.</summary>
/// <param name="Rx">Hardware RX timestamps cover test packets.</param>
/// <param name="Tx">Hardware TX timestamps are on.</param>
/// <param name="Phc">The interface's PHC mapped onto system time (null: no hardware timestamps at all).</param>
/// <param name="Reason">Why (some) hardware timestamps are not used.</param>
internal sealed record InterfaceTimestamping(bool Rx, bool Tx, PhcTimescale? Phc, string? Reason);

/// <summary>
/// Sets up hardware timestamping once per interface and process, then every socket on that interface
/// shares the result: (1) ETHTOOL_GET_TS_INFO names the NIC's PHC, without which hardware timestamps
/// cannot be put on the system timescale, so the NIC is left alone; (2) the PHC is opened and mapped onto
/// CLOCK_REALTIME (<see cref="PhcTimescale"/>, refreshed every second once started); (3) SIOCGHWTSTAMP reads the current
/// setting and <see cref="HardwareTimestampPolicy"/> decides whether to send SIOCSHWTSTAMP (never over a
/// PTP daemon's filter). Runs where the socket is set up (the privileged thread: SIOCSHWTSTAMP needs
/// CAP_NET_ADMIN, /dev/ptpN is usually root's); the PHC stays open for the life of the process.
/// </summary>
internal static unsafe class HardwareTimestamping
{
    static readonly Lock Gate = new();
    static readonly Dictionary<string, InterfaceTimestamping> ByInterface = new(StringComparer.Ordinal);

    public static InterfaceTimestamping For(int fd, string ifName)
    {
        lock (Gate)
        {
            if (!ByInterface.TryGetValue(ifName, out var state))
            {
                state = Configure(fd, ifName);
                ByInterface[ifName] = state;
            }

            return state;
        }
    }

    static InterfaceTimestamping Configure(int fd, string ifName)
    {
        int byteCount = Encoding.UTF8.GetByteCount(ifName);
        if (byteCount == 0 || byteCount >= IfReq.NameSize)
        {
            return Software($"Invalid interface name '{ifName}'; using software timestamps.");
        }

        IfReq req = default;
        Encoding.UTF8.GetBytes(ifName, new Span<byte>(req.Name, IfReq.NameSize));

        EthtoolTsInfo info = default;
        info.Cmd = ETHTOOL_GET_TS_INFO;
        req.Data = &info;
        if (SocketCalls.ioctl(fd, SIOCETHTOOL, &req) != 0)
        {
            return Software($"ETHTOOL_GET_TS_INFO on {ifName} failed: {Error()}; using software timestamps.");
        }

        if (info.PhcIndex < 0)
        {
            return Software($"{ifName} has no PTP hardware clock (ethtool phc index {info.PhcIndex}); using software timestamps.");
        }

        var device = PhcDevice.TryOpen(info.PhcIndex, out string? openReason);
        if (device is null)
        {
            return Software($"{ifName}: {openReason}; hardware timestamps cannot be put on the system timescale, using software timestamps.");
        }

        // Refreshed once the socket's owner calls UdpTestSocket.StartHardwareClockRefresh (not from here: this
        // runs on the privileged thread, which must start no timer).
        var phc = new PhcTimescale(device, TimeSpan.Zero);
        if (phc.Problem is { } problem)
        {
            phc.Dispose();
            device.Dispose();
            return Software($"{ifName}: {problem}; using software timestamps.");
        }

        HwTstampConfig config = default;
        req.Data = &config;
        if (SocketCalls.ioctl(fd, SIOCGHWTSTAMP, &req) != 0)
        {
            phc.Dispose();
            device.Dispose();
            return Software($"SIOCGHWTSTAMP on {ifName} failed: {Error()}; its current setting is unknown, so it is not changed; using software timestamps.");
        }

        var decision = HardwareTimestampPolicy.Decide(ifName, config.TxType, config.RxFilter);
        if (decision.Set)
        {
            config.Flags = 0;
            config.TxType = HWTSTAMP_TX_ON;
            config.RxFilter = HWTSTAMP_FILTER_ALL;
            if (SocketCalls.ioctl(fd, SIOCSHWTSTAMP, &req) != 0)
            {
                phc.Dispose();
                device.Dispose();
                return Software($"SIOCSHWTSTAMP on {ifName} failed: {Error()}; using software timestamps.");
            }

            decision = HardwareTimestampPolicy.AfterSet(ifName, config.TxType, config.RxFilter);
        }

        if (!decision.Rx && !decision.Tx)
        {
            phc.Dispose();
            device.Dispose();
            return Software(decision.Reason);
        }

        return new InterfaceTimestamping(decision.Rx, decision.Tx, phc, decision.Reason);
    }

    static InterfaceTimestamping Software(string? reason) => new(false, false, null, reason);

    static string Error()
    {
        int err = Marshal.GetLastPInvokeError();
        return $"{Marshal.GetPInvokeErrorMessage(err)} (errno {err})";
    }
}
