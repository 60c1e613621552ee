using TwampProbe.Diagnostics;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Time;

/// <summary>
/// The local clock's synchronization state as the kernel reports it (adjtimex), refreshed
/// periodically — never per packet. The Error Estimate's S bit is set only when the kernel says the
/// clock is synchronized (RFC 4656 §4.1.2); otherwise the estimate is honest: the kernel's maximum
/// error, with S = 0.
/// </summary>
public sealed class ClockState : IDisposable
{
    readonly Timer? _timer;
    volatile ErrorEstimateBox _current;
    bool _lastSynced;
    bool _first = true;

    sealed record ErrorEstimateBox(ErrorEstimate Estimate, ClockStatus Status);

    public ClockState(TimeSpan refresh)
    {
        _current = Read();
        if (refresh > TimeSpan.Zero) _timer = new Timer(_ => _current = Read(), null, refresh, refresh);
    }

    public ErrorEstimate ErrorEstimate => _current.Estimate;
    public ClockStatus Status => _current.Status;
    public bool Synchronized => _current.Status.Synchronized;

    ErrorEstimateBox Read()
    {
        var status = KernelClock.Read();
        if (status.Error is not null)
        {
            if (_first) Log.Warn($"clock: cannot read the kernel clock state ({status.Error}); reporting unsynchronized");
            _first = false;
            return new(ErrorEstimate.FromError(1.0, false), status);
        }
        if (!_first && status.Synchronized != _lastSynced)
            Log.Info(status.Synchronized ? "clock: synchronized" : "clock: lost synchronization");
        _first = false;
        _lastSynced = status.Synchronized;
        return new(FromStatus(status), status);
    }

    /// <summary>
    /// Synchronized: the kernel's estimated error (esterror), at least 1 µs. Unsynchronized: S = 0 and
    /// the kernel's maximum error (maxerror, which grows while unsynchronized, 16 s at most), at least 1 ms.
    /// </summary>
    public static ErrorEstimate FromStatus(ClockStatus status)
    {
        if (status.Synchronized)
        {
            double est = Math.Max(status.EstErrorMicroseconds, 1) / 1e6;
            return ErrorEstimate.FromError(est, true);
        }
        double max = Math.Max(status.MaxErrorMicroseconds, 1000) / 1e6;
        return ErrorEstimate.FromError(max, false);
    }

    public void Dispose() => _timer?.Dispose();
}
