namespace TwampProbe.Diagnostics;

/// <summary>
/// One log line per interval for an event that may repeat quickly (an unexpected exception on a
/// long-lived loop, accept failures): the first occurrence is logged at once, later ones are counted
/// and the count is reported with the next line that the interval allows. Thread-safe.
/// </summary>
public sealed class RateLimitedLog(LogLevel level, TimeSpan interval)
{
    readonly object _gate = new();
    readonly long _intervalTicks = (long)(interval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    long _nextTicks;
    long _suppressed;
    long _total;

    /// <summary>How many times <see cref="Write"/> was called.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Write(string message)
    {
        Interlocked.Increment(ref _total);
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        long suppressed;
        lock (_gate)
        {
            if (now < _nextTicks) { _suppressed++; return; }
            _nextTicks = now + _intervalTicks;
            suppressed = _suppressed;
            _suppressed = 0;
        }
        Log.Write(level, suppressed > 0 ? $"{message} (and {suppressed} more since the last report)" : message);
    }
}
