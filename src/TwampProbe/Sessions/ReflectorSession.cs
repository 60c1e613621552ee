using System.Security.Cryptography;
using TwampProbe.Linux.Net;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Sessions;

/// <summary>
/// One TWAMP-Test session on the Session-Reflector. Written by the control connection (state) and
/// read by the reflector thread (everything else is immutable once accepted). Counters are written
/// only by the reflector thread. Times are CLOCK_MONOTONIC nanoseconds (<see cref="Time.IClock"/>),
/// never wall-clock time: an NTP step must not end or prolong a session.
/// Ownership: once attached to a socket, the session (and its crypto) belongs to the
/// <see cref="ReflectorEngine"/>, whose thread disposes it after <see cref="ReflectorEngine.Detach"/>;
/// the control connection never disposes an attached session.
/// </summary>
public sealed class ReflectorSession : IDisposable
{
    public required byte[] Sid { get; init; }
    public required TwampModes Mode { get; init; }
    public required TestPacketLayout Layout { get; init; }
    /// <summary>Per-SID test crypto in modes 2 and 4; null otherwise.</summary>
    public TestPacketCrypto? Crypto { get; init; }
    /// <summary>The negotiated Session-Sender: the only source whose packets are reflected.</summary>
    public required UdpPeer Sender { get; init; }
    /// <summary>DSCP from the Type-P descriptor: replies MUST carry it (RFC 5357 §3.5).</summary>
    public required int Dscp { get; init; }
    /// <summary>How long to keep reflecting after Stop-Sessions (RFC 5357 §3.8, §4.2).</summary>
    public required long TimeoutNs { get; init; }
    public required uint PaddingLength { get; init; }
    /// <summary>TWAMP Light: Sequence Number copied from the sender's packet (RFC 5357 App. I).</summary>
    public bool Light { get; init; }

    volatile SessionState _state = SessionState.Accepted;
    long _stopDeadlineNs = long.MaxValue;
    long _lastPacketNs;

    public SessionState State => _state;
    public long StopDeadlineNs => Volatile.Read(ref _stopDeadlineNs);
    /// <summary>Monotonic time of the last reflected packet (or of Start-Sessions).</summary>
    public long LastPacketNs => Volatile.Read(ref _lastPacketNs);

    // Reflector-thread state
    internal uint NextSequence;
    public long Reflected;
    public readonly long[] Dropped = new long[Enum.GetValues<DropReason>().Length];

    /// <summary>Start-Sessions at monotonic time <paramref name="nowNs"/>.</summary>
    public void Start(long nowNs)
    {
        Volatile.Write(ref _lastPacketNs, nowNs);
        if (_state == SessionState.Accepted) _state = SessionState.Started;
    }

    /// <summary>Stop-Sessions at monotonic time <paramref name="nowNs"/>: reflect for Timeout more.</summary>
    public void Stop(long nowNs)
    {
        if (_state is SessionState.Ended) return;
        Volatile.Write(ref _stopDeadlineNs, nowNs + TimeoutNs);
        _state = SessionState.Stopping;
    }

    public void End() => _state = SessionState.Ended;

    /// <summary>Called by the reflector thread: may a packet received at monotonic <paramref name="nowNs"/> be reflected?</summary>
    internal DropReason? Admit(long nowNs)
    {
        var state = _state;
        if (state == SessionState.Started) return null;
        if (state == SessionState.Stopping && nowNs <= Volatile.Read(ref _stopDeadlineNs)) return null;
        return state == SessionState.Accepted ? DropReason.NotStarted : DropReason.AfterStop;
    }

    internal void Touch(long nowNs) => Volatile.Write(ref _lastPacketNs, nowNs);

    public long DroppedTotal => Dropped.Sum();

    /// <summary>Zeroes and frees the test keys. Called by the engine's thread for attached sessions,
    /// by the creator only for a session that was never attached.</summary>
    public void Dispose()
    {
        Crypto?.Dispose();
    }
}
