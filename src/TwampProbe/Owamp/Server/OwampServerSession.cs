using TwampProbe.Diagnostics;
using TwampProbe.Owamp.Test;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Control;

namespace TwampProbe.Owamp.Server;

/// <summary>
/// One OWAMP-Test session of a control connection: the server either sends (Conf-Sender, an
/// <see cref="OwampTestSender"/>) or receives (Conf-Receiver, an <see cref="OwampTestReceiver"/> whose
/// results go to <see cref="OwampResults"/>). Between Start-Sessions and its end the engine runs on a
/// thread of its own, which is the only user of its socket and crypto; the control connection reads
/// the outcome after <see cref="Completion"/> and disposes the engine then (STYLE: one owner per resource).
/// </summary>
public sealed class OwampServerSession
{
    readonly CancellationTokenSource _stop = new();
    readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _started;
    long _packetsSeen = -1, _lastTrafficNs;

    public required byte[] Sid { get; init; }
    public required string PrefixKey { get; init; }
    public OwampTestSender? Sender { get; init; }
    public OwampTestReceiver? Receiver { get; init; }
    /// <summary>The receive session's entry in <see cref="OwampResults"/>.</summary>
    public OwampResult? Result { get; init; }
    /// <summary>Its share of <c>owamp-max-bandwidth</c>, given back when the session is released.</summary>
    public OwampCapacity.Reservation? Bandwidth { get; init; }
    /// <summary>The session was stopped by a Stop-Sessions (this side's or the peer's).</summary>
    public bool Stopped { get; set; }

    public bool Sends => Sender is not null;
    public OwampTestSpec Spec => Sender?.Spec ?? Receiver!.Spec;

    /// <summary>Completes when the engine's thread has ended (at once when it never started).</summary>
    public Task Completion => Volatile.Read(ref _started) == 0 ? Task.CompletedTask : _done.Task;

    /// <summary>Started and its engine's thread not yet ended.</summary>
    public bool Running => Volatile.Read(ref _started) != 0 && !_done.Task.IsCompleted;

    /// <summary>Starts the engine on its own thread (Start-Sessions, RFC 4656 §3.7).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        var thread = new Thread(Run) { IsBackground = true, Name = Sends ? "owamp-send" : "owamp-receive" };
        thread.Start();
    }

    void Run()
    {
        try
        {
            if (Sender is { } s) s.Run(_stop.Token);
            // A little past the session's completion time, for packets in flight at its very end.
            else Receiver!.Run(_stop.Token, TimeSpan.FromMilliseconds(100));
        }
        catch (Exception e)
        {
            Log.Error($"owamp session {SessionId.ToHex(Sid)}: {(Sends ? "sender" : "receiver")} failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    /// <summary>
    /// For the watchdog (its only caller, monotonic <paramref name="nowNs"/>): true while the engine runs
    /// and has sent or accepted a test packet within <paramref name="refWaitNs"/>, or started less than
    /// that ago (REFWAIT, RFC 5357 §4.2).
    /// </summary>
    public bool CarriesTraffic(long nowNs, long refWaitNs)
    {
        if (Volatile.Read(ref _started) == 0 || Completion.IsCompleted) return false;
        long packets = Sender?.PacketsSent ?? Receiver!.Accepted;
        if (packets != _packetsSeen)
        {
            _packetsSeen = packets;
            _lastTrafficNs = nowNs;
        }
        return nowNs - _lastTrafficNs <= refWaitNs;
    }

    /// <summary>Asks the engine to stop (any thread); <see cref="Completion"/> tells when it has.</summary>
    public void Cancel()
    {
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>
    /// Wall-clock time (Unix ns) when the session is complete: Timeout after the scheduled send time of
    /// its last packet (RFC 4656 §3.8). Computed from the schedule as the receiver would.
    /// </summary>
    public long CompleteUnixNanoseconds()
    {
        if (Receiver is { } r) return r.CompleteUnixNanoseconds;
        var spec = Spec;
        ulong last = 0;
        using (var schedule = new Schedule(spec.Sid, spec.Slots))
            for (uint i = 0; i < spec.Packets; i++) last = schedule.NextOffset();
        return Schedule.SendTime(spec.StartTime, last).ToUnixNanoseconds() + spec.TimeoutNanoseconds;
    }

    /// <summary>This side's Stop-Sessions record of a send session (RFC 4656 §3.8). After <see cref="Completion"/>.</summary>
    public StopSessionRecord StopRecord() => new(Sid, Sender!.NextSeqno, [.. Sender.SkipRanges]);

    /// <summary>After <see cref="Completion"/>: frees the engine.</summary>
    public void Dispose()
    {
        Sender?.Dispose();
        Receiver?.Dispose();
        _stop.Dispose();
    }
}
