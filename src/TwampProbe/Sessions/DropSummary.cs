using TwampProbe.Diagnostics;

namespace TwampProbe.Sessions;

/// <summary>
/// One log line per interval with the test packets the reflector dropped in it, by reason — those
/// that belong to no connection's closing line too (a TWAMP Light source outside the allow-list, a
/// source that matches no session). Nothing is logged in an interval without drops. The reflector
/// thread only counts; this reads its counters.
/// </summary>
public sealed class DropSummary : IDisposable
{
    readonly ReflectorPool _engine;
    readonly TimeSpan _interval;
    readonly Timer _timer;
    readonly long[] _last;

    public DropSummary(ReflectorPool engine, TimeSpan interval)
    {
        _engine = engine;
        _interval = interval;
        _last = new long[Enum.GetValues<DropReason>().Length];
        _timer = new Timer(_ => Report(), null, interval, interval);
    }

    void Report()
    {
        var parts = new List<string>();
        long total = 0;
        for (int i = 0; i < _last.Length; i++)
        {
            long now = _engine.Dropped((DropReason)i);
            long delta = now - _last[i];
            _last[i] = now;
            if (delta <= 0) continue;
            total += delta;
            parts.Add($"{DropReasons.Name((DropReason)i)}={delta}");
        }
        if (total > 0)
            Log.Info($"reflector: {total} test packet(s) dropped in the last {_interval.TotalSeconds:0} s: {string.Join(" ", parts)}");
    }

    public void Dispose() => _timer.Dispose();
}
