using System.Diagnostics;

namespace TwampProbe.Diagnostics;

/// <summary>
/// A token bucket for log lines that peers cause (one per connection, first refusals): normal
/// traffic is logged line by line, a flood is cut to <c>perSecond</c> lines a second, and the next
/// line that is written says how many were suppressed. Thread-safe; no timer.
/// </summary>
public sealed class LogBudget(LogLevel level, double perSecond, double burst)
{
    readonly object _gate = new();
    readonly double _burst = burst;
    double _tokens = burst;
    long _lastTicks = Stopwatch.GetTimestamp();
    long _suppressed;

    public long Suppressed { get { lock (_gate) return _suppressed; } }

    public void Write(string message)
    {
        if (!Log.IsEnabled(level)) return;
        long suppressed;
        lock (_gate)
        {
            long now = Stopwatch.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (now - _lastTicks) * perSecond / Stopwatch.Frequency);
            _lastTicks = now;
            if (_tokens < 1) { _suppressed++; return; }
            _tokens -= 1;
            suppressed = _suppressed;
            _suppressed = 0;
        }
        Log.Write(level, suppressed > 0 ? $"{message} ({suppressed} similar line(s) suppressed: too many)" : message);
    }
}
