using System.Globalization;
using System.Net;
using TwampProbe.Diagnostics;
using TwampProbe.Time;

namespace TwampProbe.Sessions;

/// <summary>
/// The Session-Reflector's threads (<c>reflector-threads N</c>): N <see cref="ReflectorEngine"/>s, each
/// with its own thread, epoll set and batch, each the one owner of the sockets it opened and of the
/// sessions (and their crypto) attached to them — STYLE.md's one-owner rule holds per engine, and no
/// two engines ever touch the same socket. A new test socket goes to the engine with the fewest
/// sockets; the sockets shared by many senders (TWAMP Light, UDP 862) all stay on the first engine.
/// Thread i is pinned to <see cref="ReflectorOptions.Cpu"/> + i when a CPU is configured.
/// </summary>
public sealed class ReflectorPool : IDisposable
{
    readonly ReflectorEngine[] _engines;
    readonly bool _owned;
    readonly object _gate = new();

    /// <summary>Starts <paramref name="threads"/> engines.</summary>
    public ReflectorPool(ClockState clock, ReflectorOptions options, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        WarnAboutSpinning(options);
        _engines = new ReflectorEngine[threads];
        try
        {
            for (int i = 0; i < threads; i++)
                _engines[i] = new ReflectorEngine(clock, options with
                {
                    Cpu = options.Cpu + i,
                    ThreadName = i == 0 ? options.ThreadName : string.Create(CultureInfo.InvariantCulture, $"reflector-{i}"),
                });
        }
        catch
        {
            foreach (var e in _engines) e?.Dispose();
            throw;
        }
        _owned = true;
        if (threads > 1 || options.Poll == ReflectorPollMode.Busy)
            Log.Info($"reflector: {threads} thread(s), {(options.Poll == ReflectorPollMode.Busy ? "busy polling" : "epoll")}" +
                     (options.Cpu is int cpu ? $" on CPU {(threads == 1 ? $"{cpu}" : $"{cpu}-{cpu + threads - 1}")}" : ", not pinned"));
    }

    /// <summary>One engine its creator keeps (and disposes): the pool only routes to it.</summary>
    public ReflectorPool(ReflectorEngine engine)
    {
        _engines = [engine];
        _owned = false;
    }

    public IReadOnlyList<ReflectorEngine> Engines => _engines;

    /// <summary>
    /// Binds a test socket on the least-loaded engine (fewest sockets); a TWAMP Light or persistent
    /// (UDP 862) socket on the first. Throws SocketException when the port cannot be bound.
    /// </summary>
    public ReflectorSocket Open(IPEndPoint local, LightReflector? light = null, bool persistent = false)
    {
        if (light is not null || persistent || _engines.Length == 1) return _engines[0].Open(local, light, persistent);
        // Under the lock: two connections opening at once do not both pick the same engine.
        lock (_gate) return LeastLoaded().Open(local, light, persistent);
    }

    ReflectorEngine LeastLoaded()
    {
        var best = _engines[0];
        for (int i = 1; i < _engines.Length; i++)
            if (_engines[i].SocketCount < best.SocketCount) best = _engines[i];
        return best;
    }

    /// <summary>The socket already bound to exactly this address and port, else one bound to the wildcard address on that port.</summary>
    public ReflectorSocket? FindSocket(IPEndPoint local)
    {
        ReflectorSocket? wildcard = null;
        foreach (var e in _engines)
        {
            if (e.FindSocket(local) is not { } s) continue;
            if (s.LocalEndPoint.Address.Equals(local.Address)) return s;
            wildcard ??= s;
        }
        return wildcard;
    }

    /// <summary>Hands the session to the engine that owns its socket (see <see cref="ReflectorEngine.Detach"/>).</summary>
    public void Detach(ReflectorSocket socket, ReflectorSession session) => (socket.Owner ?? _engines[0]).Detach(socket, session);

    public int SocketCount => _engines.Sum(e => e.SocketCount);
    public long Reflected => _engines.Sum(e => e.Reflected);
    public long InternalErrors => _engines.Sum(e => e.InternalErrors);
    public long ThreadAllocatedBytes => _engines.Sum(e => e.ThreadAllocatedBytes);

    /// <summary>Test packets dropped for <paramref name="reason"/> by every engine.</summary>
    public long Dropped(DropReason reason)
    {
        long n = 0;
        foreach (var e in _engines) n += Volatile.Read(ref e.Dropped[(int)reason]);
        return n;
    }

    public long DroppedTotal => Enum.GetValues<DropReason>().Sum(Dropped);

    /// <summary>
    /// Busy polling spins: say so when that costs more than the operator may expect. Under SCHED_FIFO
    /// the kernel's RT throttling (kernel.sched_rt_runtime_us, 950000 of 1000000 by default) stops a
    /// thread that never sleeps for the rest of every second; unpinned, the spinning moves between CPUs.
    /// </summary>
    static void WarnAboutSpinning(ReflectorOptions options)
    {
        if (options.Poll != ReflectorPollMode.Busy) return;
        if (options.Cpu is null)
            Log.Warn("reflector-poll busy without reflector-cpu: the spinning thread is not pinned and takes a whole CPU wherever it runs");
        if (options.FifoPriority is not null && RtRuntime() is { } runtime && runtime >= 0)
            Log.Warn($"reflector-poll busy with sched-fifo: RT throttling (kernel.sched_rt_runtime_us = {runtime}) pauses the spinning thread " +
                     "for the rest of every second once it has run that long; set it to -1 or remove sched-fifo");
    }

    static long? RtRuntime()
    {
        try { return long.Parse(File.ReadAllText("/proc/sys/kernel/sched_rt_runtime_us").Trim(), CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }

    /// <summary>Stops and disposes the engines the pool started (not one it was given).</summary>
    public void Dispose()
    {
        if (!_owned) return;
        foreach (var e in _engines) e.Dispose();
    }
}
