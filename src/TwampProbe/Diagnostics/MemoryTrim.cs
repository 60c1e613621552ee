using System.Diagnostics;

namespace TwampProbe.Diagnostics;

/// <summary>
/// Gives garbage back after control connections close. Each connection and session leaves some tens
/// of kB of garbage, and the GC sizes its first generation by the CPU's cache (hundreds of MB on
/// some virtual machines), so without this an always-on server's RSS climbs with every session it
/// ever served and stays there. At most one full collection per <c>interval</c>, run when a
/// connection has closed (never on the reflector thread, never while idle: no periodic timer).
/// </summary>
public sealed class MemoryTrim(TimeSpan interval) : IDisposable
{
    readonly object _gate = new();
    readonly long _intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
    long _lastTicks = Stopwatch.GetTimestamp();
    Timer? _timer;
    bool _scheduled;
    bool _disposed;
    long _collections;

    public long Collections => Interlocked.Read(ref _collections);

    /// <summary>Something that allocated (a connection, its sessions) has been released.</summary>
    public void Released()
    {
        lock (_gate)
        {
            if (_disposed || _scheduled) return;
            long wait = _lastTicks + _intervalTicks - Stopwatch.GetTimestamp();
            _scheduled = true;
            _timer ??= new Timer(_ => Collect());
            _timer.Change(TimeSpan.FromSeconds(Math.Max(0, wait) / (double)Stopwatch.Frequency), Timeout.InfiniteTimeSpan);
        }
    }

    void Collect()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _scheduled = false;
            _lastTicks = Stopwatch.GetTimestamp();
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        Interlocked.Increment(ref _collections);
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
