using System.Net;
using TwampProbe.Diagnostics;

namespace TwampProbe.Control;

/// <summary>
/// Connection refusals and evictions, summarised in one log line per interval while they happen:
/// the first of a burst is logged at once, the rest as counts by reason with the busiest client
/// prefixes. No timer runs while nothing is refused (an idle probe stays asleep).
/// </summary>
public sealed class RefusalSummary(TimeSpan interval) : IDisposable
{
    readonly object _gate = new();
    readonly Dictionary<string, long> _byReason = [];
    readonly Dictionary<string, long> _byPrefix = [];
    Timer? _timer;
    bool _armed;
    long _total;
    bool _disposed;

    /// <summary>Refusals and evictions since start.</summary>
    public long Total { get { lock (_gate) return _allTime; } }
    long _allTime;

    public void Count(string reason, IPEndPoint remote, string prefixKey, string? detail = null)
    {
        bool first;
        lock (_gate)
        {
            if (_disposed) return;
            _allTime++;
            _total++;
            _byReason[reason] = _byReason.GetValueOrDefault(reason) + 1;
            _byPrefix[prefixKey] = _byPrefix.GetValueOrDefault(prefixKey) + 1;
            first = !_armed;
            if (first)
            {
                _armed = true;
                _total = 0;
                _byReason.Clear();
                _byPrefix.Clear();
                _timer ??= new Timer(_ => Flush());
                _timer.Change(interval, Timeout.InfiniteTimeSpan);
            }
        }
        if (first)
            Log.Warn($"control {remote}: {reason}{(detail is null ? "" : $" ({detail})")}: " +
                     (reason == "evicted" ? "an idle connection was closed to make room" : "refused with Modes = 0") +
                     $"; further refusals are summarised every {interval.TotalSeconds:0} s");
    }

    void Flush()
    {
        string? line = null;
        lock (_gate)
        {
            if (_disposed) return;
            if (_total == 0) { _armed = false; return; }
            var reasons = string.Join(", ", _byReason.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}={kv.Value}"));
            var prefixes = string.Join(", ", _byPrefix.OrderByDescending(kv => kv.Value).Take(3).Select(kv => $"{kv.Key} ({kv.Value})"));
            line = $"control: {_total} connection(s) refused or evicted in the last {interval.TotalSeconds:0} s: {reasons}; busiest prefixes: {prefixes}";
            _total = 0;
            _byReason.Clear();
            _byPrefix.Clear();
            // Stay armed one more interval: a quiet interval disarms, the next refusal is logged at once.
            _timer!.Change(interval, Timeout.InfiniteTimeSpan);
        }
        Log.Info(line);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }
}
