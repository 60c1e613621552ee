namespace TwampProbe.Linux.Time;

/// <summary>
/// Maps hardware timestamps from a NIC's PTP hardware clock onto the system clock (CLOCK_REALTIME).
/// A hardware timestamp (SCM_TIMESTAMPING ts[2]) is PHC time: TAI when ptp4l disciplines the PHC, a
/// free-running counter otherwise, never Unix time by itself. Mixing it with clock_gettime stamps (T3, T1)
/// would put seconds of error into turnaround and one-way delays, so every hardware timestamp is converted
/// before use, or not used.
/// <para>Estimation (the PTP_SYS_OFFSET method, off the hot path): <see cref="Refresh"/> reads system, PHC,
/// system <see cref="Samples"/> times and keeps the narrowest bracket: offset = PHC − midpoint, uncertainty =
/// half the bracket. The PHC's rate against the system clock comes from two successive refreshes, so a
/// conversion between refreshes follows the drift. A refresh that disagrees with the extrapolation by more
/// than <see cref="StepNs"/> (a step of either clock) starts over without a rate.</para>
/// <para>Validity: when reads fail or the last good refresh is older than <see cref="MaxAgeNs"/>,
/// <see cref="TryToSystem"/> says no and the socket uses its software timestamp instead (both are in every
/// SCM_TIMESTAMPING message).</para>
/// <para>Threads: one refresher (the timer, or the caller of <see cref="Refresh"/>); any number of readers.
/// The mapping is an immutable object published through a volatile field: a reader sees one consistent
/// mapping and allocates nothing.</para>
/// </summary>
public sealed class PhcTimescale : IDisposable
{
    public const int Samples = 7;
    public const long StepNs = 1_000_000;
    public const long MaxAgeNs = 10_000_000_000;

    sealed record Mapping(long Phc, long System, double Rate, long UncertaintyNs);

    readonly IPhcClock _clock;
    readonly Lock _refresh = new();
    Timer? _timer;
    volatile Mapping? _map;
    volatile string? _problem;

    /// <summary>Reads the clocks once now, then every <paramref name="refresh"/> (zero: only when <see cref="Refresh"/> is called or <see cref="StartRefresh"/> starts it).</summary>
    public PhcTimescale(IPhcClock clock, TimeSpan refresh)
    {
        _clock = clock;
        Refresh();
        if (refresh > TimeSpan.Zero) StartRefresh(refresh);
    }

    /// <summary>
    /// Refreshes every <paramref name="every"/> from now on (a timer; idempotent). Call it from an ordinary
    /// thread, not from <see cref="Security.PrivilegedThread"/>: a thread the timer may start would inherit
    /// the capabilities of the thread that starts it.
    /// </summary>
    public void StartRefresh(TimeSpan every)
    {
        lock (_refresh) _timer ??= new Timer(_ => Refresh(), null, every, every);
    }

    public string Name => _clock.Name;

    /// <summary>Why conversion is not possible right now (null when it is).</summary>
    public string? Problem => _problem;

    /// <summary>System time minus PHC time at the last refresh, ns (37 s + leap-second history when the PHC runs TAI).</summary>
    public long OffsetNs => _map is { } m ? m.System - m.Phc : 0;

    /// <summary>System-clock nanoseconds per PHC nanosecond, minus one (e.g. 1e-5 = the system clock runs 10 ppm faster).</summary>
    public double Drift => _map is { } m ? m.Rate : 0;

    /// <summary>Half the narrowest read bracket of the last refresh: how well the offset is known, ns.</summary>
    public long UncertaintyNs => _map?.UncertaintyNs ?? 0;

    /// <summary>Re-estimates the offset (and the rate from the previous estimate). False when the PHC could not be read.</summary>
    public bool Refresh()
    {
        lock (_refresh)
        {
            long bestWidth = long.MaxValue, bestPhc = 0, bestSystem = 0;
            for (int i = 0; i < Samples; i++)
            {
                long before = _clock.ReadSystem();
                if (!_clock.TryReadPhc(out long phc)) continue;
                long after = _clock.ReadSystem();
                long width = after - before;
                if (width < 0 || width >= bestWidth) continue; // a system-clock step inside the bracket, or a wider one
                bestWidth = width;
                bestPhc = phc;
                bestSystem = before + width / 2;
            }

            var previous = _map;
            if (bestWidth == long.MaxValue)
            {
                _problem = $"{_clock.Name} could not be read";
                if (previous is not null && _clock.ReadSystem() - previous.System > MaxAgeNs) _map = null;
                return false;
            }

            double rate = 0;
            if (previous is not null)
            {
                long dPhc = bestPhc - previous.Phc;
                long predicted = previous.System + dPhc + (long)(dPhc * previous.Rate);
                if (Math.Abs(bestSystem - predicted) <= StepNs && dPhc > 0)
                    rate = (double)(bestSystem - previous.System - dPhc) / dPhc;
            }

            _map = new Mapping(bestPhc, bestSystem, rate, bestWidth / 2);
            _problem = null;
            return true;
        }
    }

    /// <summary>The system time of PHC time <paramref name="phcNanoseconds"/>; false when no valid mapping is known.</summary>
    public bool TryToSystem(long phcNanoseconds, out long systemNanoseconds)
    {
        var m = _map;
        if (m is null)
        {
            systemNanoseconds = 0;
            return false;
        }

        long d = phcNanoseconds - m.Phc;
        systemNanoseconds = m.System + d + (long)(d * m.Rate);
        return true;
    }

    public void Dispose()
    {
        lock (_refresh) _timer?.Dispose();
    }
}
