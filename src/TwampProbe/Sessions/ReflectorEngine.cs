using System.Net;
using System.Net.Sockets;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using TwampProbe.Diagnostics;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Scheduling;
using TwampProbe.Linux.Security;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Time;

namespace TwampProbe.Sessions;

/// <summary>
/// The Session-Reflector data path: one thread serves every test socket through epoll, reading
/// with recvmmsg and answering with sendmmsg. Buffers are allocated once; nothing is allocated per
/// reflected packet. Sessions are found by (local port, sender address and port).
/// <para>Ownership: the reflector thread is the only one that uses a session's crypto and a test
/// socket on the hot path, so it is also the one that frees them. Other threads hand a detached
/// session or socket over (<see cref="Detach"/> queues it, the thread disposes it at its next
/// wake-up, when no batch is in flight). The loop survives any exception: counted, logged
/// rate-limited, and the next socket is served.</para>
/// <para>Waiting: <see cref="ReflectorPollMode.Epoll"/> sleeps in epoll_wait (no CPU when idle);
/// <see cref="ReflectorPollMode.Busy"/> never sleeps: it polls with non-blocking recvmmsg (few sockets) or
/// epoll_wait(0) (many), a pause instruction between idle rounds, for turnaround without a wake-up.
/// Fairness: one batch per ready socket per round, the level-triggered ready list round-robins, so a
/// flooded socket cannot starve the others. Sends never block the thread: the sockets are non-blocking
/// and a full send buffer is a drop (<see cref="DropReason.SendBufferFull"/>), not a stall.</para>
/// </summary>
public sealed partial class ReflectorEngine : IDisposable
{
    public const int BatchSize = 32;
    /// <summary>Ready sockets taken from one epoll_wait.</summary>
    const int ReadyMax = 256;
    /// <summary>Busy polling reads this many sockets directly (one recvmmsg each per round); with more, one
    /// epoll_wait(0) per round says which are ready.</summary>
    public const int DirectPollLimit = 4;
    /// <summary>Largest test packet: an IPv4 jumbo frame's UDP payload.</summary>
    public const int MaxPacket = 9000;

    readonly Poller _poller = new();
    readonly PacketBatch _batch = new(BatchSize, MaxPacket + 112);
    readonly ClockState _clock;
    readonly ReflectorOptions _options;
    readonly object _gate = new();
    volatile Dictionary<ulong, ReflectorSocket> _sockets = [];
    readonly List<ReflectorSocket> _toClose = [];
    readonly List<ReflectorSession> _toDispose = [];
    readonly IClock _time;
    readonly RateLimitedLog _errorLog = new(LogLevel.Error, TimeSpan.FromSeconds(60));
    volatile bool _stopped;
    long _internalErrors;
    long _threadAllocated;
    /// <summary>Bytes the reflector thread has allocated so far (refreshed after every socket it drains):
    /// the hot path's allocation-free claim, measured on the thread itself.</summary>
    public long ThreadAllocatedBytes => Volatile.Read(ref _threadAllocated);
    /// <summary>Unexpected exceptions the reflector thread survived (a bug, never a peer's doing).</summary>
    public long InternalErrors => Interlocked.Read(ref _internalErrors);
    ulong _nextToken = 1;
    bool _hardwareFallbackLogged;
    readonly Thread _thread;
    volatile bool _stopping;

    /// <summary>Engine-wide drop counters (reflector thread writes, anyone reads).</summary>
    public readonly long[] Dropped = new long[Enum.GetValues<DropReason>().Length];
    long _reflected;
    public long Reflected => Volatile.Read(ref _reflected);

    public ReflectorEngine(ClockState clock, ReflectorOptions options)
    {
        _clock = clock;
        _options = options;
        _time = options.Clock ?? SystemClock.Instance;
        if (options.MeasureT3Lead) T3Lead = new T3LeadProbe();
        _thread = new Thread(Run) { Name = options.ThreadName, IsBackground = true };
        _thread.Start();
    }

    public int SocketCount => _sockets.Count;
    /// <summary>The thread that opens test sockets with the capabilities the drop from root kept (null: this thread).</summary>
    public PrivilegedThread? Privileged => _options.Privileged;
    /// <summary>Whether the reflector thread still runs (false once <see cref="Dispose"/> has stopped it).</summary>
    public bool ThreadAlive => _thread.IsAlive;

    /// <summary>Binds a test socket. Throws SocketException when the port cannot be bound.</summary>
    public ReflectorSocket Open(IPEndPoint local, LightReflector? light = null, bool persistent = false)
    {
        var options = new UdpSocketOptions
        {
            ReceiveTimestamps = true,
            TransmitTimestamps = _options.MeasureT3Lead,
            HardwareInterface = _options.HardwareInterface,
            ReceiveTtl = true,
            ReceiveTrafficClass = true,
            // RFC 5357 §4.2: the reflector SHOULD send with TTL 255 (like perfSONAR).
            SendTtl = 255,
            ReceiveBufferBytes = _options.SocketBufferBytes,
            SendBufferBytes = _options.SocketBufferBytes,
            DualStack = true,
            // A full send buffer drops the reply (counted) instead of stalling every other session.
            NonBlocking = true,
        };
        // SO_RCVBUFFORCE, SIOCSHWTSTAMP and ports below 1024 need capabilities only the privileged thread keeps.
        var socket = _options.Privileged is { } p ? p.Invoke(() => UdpTestSocket.Bind(local, options)) : UdpTestSocket.Bind(local, options);
        socket.StartHardwareClockRefresh(); // here, not on the privileged thread: it starts a timer
        if (socket.RxTimestampSource == TimestampSource.User && !_hardwareFallbackLogged)
        {
            _hardwareFallbackLogged = true;
            Log.Warn($"kernel timestamps unavailable ({socket.TimestampFallbackReason}): T2 falls back to user space");
        }
        else if (_options.HardwareInterface is { } nic && socket.RxTimestampSource != TimestampSource.Hardware && !_hardwareFallbackLogged)
        {
            _hardwareFallbackLogged = true;
            Log.Warn($"hardware timestamps on {nic} unavailable ({socket.TimestampFallbackReason ?? "not supported"}): using kernel software timestamps");
        }
        else if (socket.RxTimestampSource == TimestampSource.Hardware && !_hardwareFallbackLogged)
        {
            _hardwareFallbackLogged = true;
            Log.Info($"hardware timestamps on {_options.HardwareInterface}: {socket.HardwareClock}, converted to system time{(socket.TimestampFallbackReason is { } partly ? $" ({partly})" : "")}");
        }
        lock (_gate)
        {
            var rs = new ReflectorSocket(socket, _nextToken++) { Light = light, Persistent = persistent, Owner = this };
            _sockets = new Dictionary<ulong, ReflectorSocket>(_sockets) { [rs.Token] = rs };
            _poller.Add(socket.Handle, rs.Token);
            return rs;
        }
    }

    /// <summary>The socket already bound to exactly this address and port, if any (for sharing a port).</summary>
    public ReflectorSocket? FindSocket(IPEndPoint local)
    {
        ReflectorSocket? wildcard = null;
        foreach (var s in _sockets.Values)
        {
            if (s.Closing || s.LightOnly || s.LocalEndPoint.Port != local.Port) continue;
            if (s.LocalEndPoint.Address.Equals(local.Address)) return s;
            // A socket bound at start-up to the wildcard address (UDP 862) serves every local address.
            var a = s.LocalEndPoint.Address;
            if (a.Equals(IPAddress.IPv6Any) || (a.Equals(IPAddress.Any) && local.AddressFamily == AddressFamily.InterNetwork))
                wildcard = s;
        }
        return wildcard;
    }

    /// <summary>
    /// Detaches a session and hands it to the reflector thread, which disposes it (its test keys)
    /// once no batch can be using it; the socket is closed the same way when it has no session left.
    /// Safe from any thread, any number of times.
    /// </summary>
    public void Detach(ReflectorSocket socket, ReflectorSession session)
    {
        session.End();
        bool closeSocket = socket.Remove(session) == 0 && !socket.LightOnly && !socket.Persistent;
        lock (_gate)
        {
            if (closeSocket && _sockets.ContainsKey(socket.Token))
            {
                var copy = new Dictionary<ulong, ReflectorSocket>(_sockets);
                copy.Remove(socket.Token);
                _sockets = copy;
                _toClose.Add(socket);
            }
            if (!_toDispose.Contains(session)) _toDispose.Add(session);
            _closePending = true;
            // The thread is gone (engine disposed): nothing can race with the disposal any more.
            if (_stopped) DisposeRetired();
        }
        _poller.Wake();
    }

    void Run()
    {
        if (_options.Cpu is int cpu)
        {
            try { ThreadTuning.PinCurrentThread(cpu); }
            catch (Exception e) { Log.Warn($"reflector: cannot pin to CPU {cpu}: {e.Message}"); }
        }
        if (_options.FifoPriority is int prio)
        {
            int tid = ThreadTuning.CurrentThreadId();
            try { if (_options.Privileged is { } p) p.Invoke(() => ThreadTuning.SetFifo(prio, tid)); else ThreadTuning.SetFifo(prio); }
            catch (Exception e) { Log.Warn($"reflector: cannot use SCHED_FIFO {prio}: {e.Message}"); }
        }
        if (_options.Poll == ReflectorPollMode.Busy) RunBusy(); else RunEpoll();
        try { CloseDetached(); } catch (Exception e) { Survive("stop", e); }
    }

    /// <summary>Sleeps in epoll_wait until a socket is readable (or a detach wakes it).</summary>
    void RunEpoll()
    {
        Span<ulong> ready = stackalloc ulong[ReadyMax];
        while (!_stopping)
        {
            int n = 0;
            try
            {
                n = _poller.Wait(ready, 1000);
                CloseDetached();
            }
            catch (Exception e) { Survive("wait", e); }
            Serve(ready[..n]);
        }
    }

    /// <summary>
    /// Never sleeps. Per idle round: one volatile read for stop, one for retired sessions, one
    /// non-blocking syscall (recvmmsg on each of up to <see cref="DirectPollLimit"/> sockets, else
    /// epoll_wait(0)), a pause. Session deadlines need no timer: Admit compares each packet's batch
    /// time with them.
    /// </summary>
    void RunBusy()
    {
        Span<ulong> ready = stackalloc ulong[ReadyMax];
        while (!_stopping)
        {
            int n = 0;
            bool served = false;
            try
            {
                CloseDetached();
                var sockets = _sockets;
                if (sockets.Count <= DirectPollLimit)
                {
                    foreach (var rs in sockets.Values) served |= TryDrain(rs, busyPoll: true);
                }
                else n = _poller.Wait(ready, 0);
            }
            catch (Exception e) { Survive("poll", e); }
            if (n > 0) { Serve(ready[..n]); served = true; }
            if (!served) Pause();
        }
    }

    static void Pause()
    {
        if (X86Base.IsSupported) X86Base.Pause();
        else if (ArmBase.IsSupported) ArmBase.Yield();
        else Thread.SpinWait(1);
    }

    /// <summary>One batch from each ready socket, in the order epoll gave them.</summary>
    void Serve(ReadOnlySpan<ulong> ready)
    {
        var sockets = _sockets;
        for (int i = 0; i < ready.Length; i++)
            if (sockets.TryGetValue(ready[i], out var rs)) TryDrain(rs);
    }

    /// <summary>Drains one batch; true when the socket had packets. Survives anything.</summary>
    bool TryDrain(ReflectorSocket rs, bool busyPoll = false)
    {
        try
        {
            bool any = Drain(rs, busyPoll);
            // Only a served batch can allocate: an idle busy-polling round does not read the counter.
            if (any) Volatile.Write(ref _threadAllocated, GC.GetAllocatedBytesForCurrentThread());
            return any;
        }
        catch (Exception e)
        {
            // A bug, not a peer's doing: the batch is abandoned, every other socket is still served.
            Array.Clear(_pending);
            Survive($"socket {rs.LocalEndPoint}", e);
            return true;
        }
    }

    void Survive(string where, Exception e)
    {
        Interlocked.Increment(ref _internalErrors);
        _errorLog.Write($"reflector: internal error on {where} (reflection continues): {e.GetType().Name}: {e.Message}");
    }

    /// <summary>Set when sockets wait to be closed, so the hot loop does not take the lock on every wake-up.</summary>
    volatile bool _closePending;

    void CloseDetached()
    {
        if (!_closePending) return;
        lock (_gate) DisposeRetired();
    }

    /// <summary>Under <see cref="_gate"/>, on the reflector thread (or after it ended).</summary>
    void DisposeRetired()
    {
        foreach (var s in _toClose)
        {
            try { _poller.Remove(s.Socket.Handle); } catch (SocketException) { } catch (ObjectDisposedException) { }
            s.Dispose();
        }
        _toClose.Clear();
        foreach (var s in _toDispose) s.Dispose();
        _toDispose.Clear();
        _closePending = false;
    }

    /// <summary>
    /// Reads one batch (at most <see cref="BatchSize"/> packets) and reflects it; returns whether
    /// anything came. What is left stays readable (level-triggered) and is served next round, after
    /// every other ready socket had its turn.
    /// </summary>
    bool Drain(ReflectorSocket rs, bool busyPoll)
    {
        int received;
        // Busy polling asks a socket that was empty last round for one datagram: the first packet after a
        // quiet spell is reflected without recvmmsg trying for a second (about a microsecond here); once
        // packets keep coming, whole batches again.
        int most = busyPoll && rs.EmptyLastPoll ? 1 : BatchSize;
        try { received = rs.Socket.Receive(_batch, 0, most); }
        catch (SocketException e) { Log.Debug($"reflector: receive on {rs.LocalEndPoint}: {e.Message}"); return false; }
        rs.EmptyLastPoll = received == 0;
        if (received == 0) return false;
        // One monotonic read per batch: session deadlines never follow the wall clock.
        _batchMonotonicNs = _time.MonotonicNanoseconds;
        int toSend = 0;
        for (int i = 0; i < received; i++)
            if (Prepare(rs, i, toSend)) toSend++;
        if (toSend > 0)
        {
            long full = rs.Socket.SendsWouldBlock;
            Transmit(rs, toSend);
            long unsent = rs.Socket.SendsWouldBlock - full;
            if (unsent > 0) Dropped[(int)DropReason.SendBufferFull] += unsent;
        }
        return true;
    }

    long _batchMonotonicNs;

    void Count(ReflectorSession? s, DropReason reason)
    {
        Dropped[(int)reason]++;
        if (s is not null) s.Dropped[(int)reason]++;
    }

    /// <summary>
    /// Validates the packet in slot <paramref name="slot"/> and turns it into the reply in place
    /// (RFC 5357 §4.2), moving it to slot <paramref name="outSlot"/> if earlier packets were dropped.
    /// The transmit timestamp and the protection are applied later, just before sending.
    /// </summary>
    bool Prepare(ReflectorSocket rs, int slot, int outSlot)
    {
        ref var meta = ref _batch.Meta(slot);
        ReflectorSession? session;
        if (rs.LightOnly)
        {
            if (!rs.Light!.Allows(meta.Peer)) { Count(null, DropReason.NotAllowed); return false; }
            session = rs.Light.Session;
        }
        else
        {
            session = rs.Find(meta.Peer);
            if (session is null)
            {
                // RFC 5357 §4.2: only the negotiated Session-Sender is served; on a socket shared with
                // TWAMP Light, any other allowed source is reflected as Light.
                if (rs.Light is not { } shared) { Count(null, DropReason.UnknownSender); return false; }
                if (!shared.Allows(meta.Peer)) { Count(null, DropReason.NotAllowed); return false; }
                session = shared.Session;
            }
            else if (session.Admit(_batchMonotonicNs) is { } why) { Count(session, why); return false; }
        }
        var layout = session.Layout;
        if (meta.Truncated) { Count(session, DropReason.Truncated); return false; }
        if (meta.Length < layout.SenderHeader) { Count(session, DropReason.Runt); return false; }
        var buffer = _batch.Buffer(slot);
        if (session.Crypto is { } crypto && !crypto.UnprotectSender(buffer[..meta.Length]))
        {
            // RFC 4656 §4.2: packets whose HMAC does not verify MUST be discarded.
            Count(session, DropReason.BadHmac);
            return false;
        }

        var sender = new SenderPacket(buffer, layout);
        uint senderSeq = sender.SequenceNumber;
        var t1 = sender.Timestamp;
        var senderError = sender.ErrorEstimate;

        // RFC 5357 §4.2.1: the reply is as long as the sender's packet when its padding allows, the
        // reflector's padding being the first octets of the sender's (truncated).
        int replyLength = Math.Max(layout.ReflectorHeader, meta.Length);
        int padding = replyLength - layout.ReflectorHeader;
        if (padding > 0) buffer.Slice(layout.SenderHeader, padding).CopyTo(buffer.Slice(layout.ReflectorHeader, padding));

        var reply = new ReflectorPacket(buffer, layout);
        reply.ClearHeader();
        // Light: "MUST copy the Sequence Number of the received packet" (RFC 5357 App. I).
        reply.SequenceNumber = session.Light ? senderSeq : session.NextSequence++;
        reply.ReceiveTimestamp = NtpTimestamp.FromUnixNanoseconds(meta.UnixNanoseconds);
        reply.SenderSequenceNumber = senderSeq;
        reply.SenderTimestamp = t1;
        reply.SenderErrorEstimate = senderError;
        // Sender TTL: the TTL / hop limit of the received packet; 255 only when it cannot be read.
        reply.SenderTtl = meta.Ttl >= 0 ? (byte)meta.Ttl : (byte)255;
        // RFC 7750 §2.2.1: DSCP and ECN "MUST be copied from the received Session-Sender test packet".
        if (meta.TrafficClass >= 0) reply.SenderDscpEcn = meta.TrafficClass;

        session.Touch(_batchMonotonicNs);
        session.Reflected++;

        // RFC 5357 §3.5: reply with the Type-P DSCP; the ECN bits of the received packet are kept.
        int ecn = meta.TrafficClass >= 0 ? meta.TrafficClass & 3 : 0;
        int tos = session.Dscp >= 0 ? (session.Dscp << 2) | ecn : meta.TrafficClass;
        if (outSlot != slot)
        {
            buffer[..replyLength].CopyTo(_batch.Buffer(outSlot));
            _batch.Meta(outSlot).Peer = meta.Peer;
            _batch.Meta(outSlot).LocalAddress = meta.LocalAddress; // the reply leaves from the address the request came to
        }
        ref var outMeta = ref _batch.Meta(outSlot);
        outMeta.Length = replyLength;
        outMeta.TrafficClass = tos;
        _pending[outSlot] = session;
        return true;
    }

    readonly ReflectorSession?[] _pending = new ReflectorSession?[BatchSize];

    /// <summary>T3 of each slot, kept only for <see cref="T3Lead"/>.</summary>
    readonly long[] _t3 = new long[BatchSize];

    /// <summary>The T3-lead diagnostic (null unless <see cref="ReflectorOptions.MeasureT3Lead"/>).</summary>
    public T3LeadProbe? T3Lead { get; }

    /// <summary>
    /// T3 per reply, just before that reply leaves (RFC 5357 §4.2.1: "as close as possible to the actual
    /// transmission"). Each reply is stamped, protected and appended to the pending sendmmsg run; the run
    /// is sent before the next reply joins it whenever joining would let a T3 lead its departure by more
    /// than <see cref="ReflectorOptions.T3BatchBoundNs"/> beyond what a single send costs: the oldest reply
    /// waits for every later stamp and protection, the newest for the kernel to send every earlier one.
    /// Where the packet format allows, the protection comes first and T3 last (for the whole batch, before any is sent):
    /// <list type="bullet">
    /// <item>Unauthenticated (modes 1 and 8, RFC 5618 §4: no test-packet crypto): T3 is the last write.</item>
    /// <item>Authenticated (mode 2): only octets 0-15 (the Sequence Number block) are encrypted and HMACed
    /// (RFC 4656 §4.1.2, RFC 5357 §4.2.1, "the sequence number can be encrypted before the timestamp is
    /// fetched"), so the reply is protected first and T3 (16-23) and its Error Estimate are written after.</item>
    /// <item>Encrypted (mode 4): T3 lies inside the CBC-encrypted, HMACed octets 0-95 and "the reflector MUST
    /// fetch the timestamps, generate the HMAC, and encrypt the packet, then send it" (RFC 5357 §4.2.1):
    /// stamp, protect, send; the protection time is part of the lead.</item>
    /// </list>
    /// </summary>
    void Transmit(ReflectorSocket rs, int count)
    {
        var errorEstimate = _clock.ErrorEstimate;
        long bound = _options.T3BatchBoundNs;
        // Authenticated replies (mode 2) are all protected first, back to back: their T3 is outside the protected
        // octets, so this costs no accuracy, the cipher's code and keys stay in cache for the whole batch (a send
        // between two protections evicts them), and no protection runs between a mode-2 reply's T3 and its send.
        // (An encrypted reply's own protection must follow its T3, RFC 5357 §4.2.1; it is part of its lead.)
        for (int i = 0; i < count; i++)
        {
            var crypto = _pending[i]!.Crypto;
            if (TimestampOrder.ProtectsFirst(crypto)) crypto!.ProtectReflector(_batch.Buffer(i)[.._batch.Meta(i).Length]);
        }
        int first = 0;
        long oldest = 0, previous = 0;
        for (int i = 0; i < count; i++)
        {
            var session = _pending[i]!;
            _pending[i] = null;
            var buffer = _batch.Buffer(i)[.._batch.Meta(i).Length];
            var reply = new ReflectorPacket(buffer, session.Layout);
            var crypto = session.Crypto;
            bool protectFirst = TimestampOrder.ProtectsFirst(crypto);
            if (!protectFirst) reply.ErrorEstimate = errorEstimate;
            // (i − first) × cost: this reply's wait behind the earlier ones in the kernel, known without a clock
            // read; (t3 − oldest) + (t3 − previous): the oldest reply's wait if this one joins. A wall-clock step
            // forward splits one run; a step back turns this check off for the rest of the batch, where the cost
            // check still bounds the run (and the batch is at most BatchSize). When the run is sent, the clock read
            // that ends the send is this reply's T3: nothing happens between the two, a reply sent alone costs one read.
            long t3;
            if (i > first && (i - first) * rs.SendNsPerDatagram > bound)
            {
                t3 = Flush(rs, first, i - first, previous);
                first = i;
            }
            else
            {
                t3 = _time.UnixNanoseconds;
                if (i > first && t3 - oldest + (t3 - previous) > bound)
                {
                    t3 = Flush(rs, first, i - first, previous);
                    first = i;
                }
            }
            if (i == first) oldest = t3;
            previous = t3;
            if (protectFirst) reply.ErrorEstimate = errorEstimate;
            reply.Timestamp = NtpTimestamp.FromUnixNanoseconds(t3);
            if (!protectFirst) crypto?.ProtectReflector(buffer);
            if (T3Lead is not null) _t3[i] = t3;
        }
        Flush(rs, first, count - first, previous);
    }

    /// <summary>
    /// Sends slots [first..first+n) in one sendmmsg and learns what a datagram costs, from
    /// <paramref name="lastT3"/> (the run's last T3) to the wall clock when the send returns; returns that
    /// reading (a fresh one after the T3-lead diagnostic's work). One clock read per send: a wall-clock step
    /// spoils one sample at most, clamped to 0..100 µs and averaged in at 1/8. The sample includes what ran
    /// after the last T3: an encrypted reply's protection, so encrypted sessions make runs a little shorter
    /// (more accurate, one more send) for the other sessions of that socket too. The send reports failures in its
    /// counters (a full buffer, a rejected datagram), it does not throw for them.
    /// </summary>
    long Flush(ReflectorSocket rs, int first, int n, long lastT3)
    {
        int sent = rs.Socket.Send(_batch, first, n);
        long now = _time.UnixNanoseconds;
        _reflected += sent;
        if (sent > 0)
        {
            // Capped so that one preemption in a send does not keep batches at one reply for long.
            long perDatagram = Math.Clamp((now - lastT3) / sent, 0, 100_000);
            long learned = rs.SendNsPerDatagram;
            rs.SendNsPerDatagram = learned > 100_000 ? perDatagram : learned + (perDatagram - learned) / 8;
        }
        if (T3Lead is not null)
        {
            T3Lead.Sent(rs.Socket, _t3.AsSpan(first, n), sent);
            now = _time.UnixNanoseconds;
        }
        return now;
    }

    public void Dispose()
    {
        _stopping = true;
        _poller.Wake();
        if (!_thread.Join(2000)) Log.Warn("reflector: thread did not stop within 2 s");
        lock (_gate)
        {
            _stopped = true;
            foreach (var s in _sockets.Values)
            {
                foreach (var session in s.Sessions) if (!session.Light && !_toDispose.Contains(session)) _toDispose.Add(session);
                if (!_toClose.Contains(s)) _toClose.Add(s);
            }
            _sockets = [];
            DisposeRetired();
        }
        _poller.Dispose();
        _batch.Dispose();
    }
}

public sealed record ReflectorOptions
{
    public string? HardwareInterface { get; init; }
    /// <summary>
    /// How much later than a lone reply a reply may leave because it shares a sendmmsg with others, in ns
    /// (see ReflectorEngine.Transmit): 0 sends every reply on its own.
    /// </summary>
    public long T3BatchBoundNs { get; init; } = DefaultT3BatchBoundNs;
    /// <summary>The default of <see cref="T3BatchBoundNs"/> (directive <c>reflector-batch-us</c>): 2 µs.</summary>
    public const long DefaultT3BatchBoundNs = 2_000;
    /// <summary>Diagnostic: TX timestamps on the test sockets and <see cref="ReflectorEngine.T3Lead"/> (off: nothing is read or kept).</summary>
    public bool MeasureT3Lead { get; init; }
    public int SocketBufferBytes { get; init; } = 4 << 20;
    public int? Cpu { get; init; }
    public int? FifoPriority { get; init; }
    /// <summary>Monotonic time for session deadlines, wall clock for T3; tests inject a stepping clock.</summary>
    public IClock? Clock { get; init; }
    /// <summary>Where socket set-up and SCHED_FIFO run after the drop from root (null: on the calling thread).</summary>
    public PrivilegedThread? Privileged { get; init; }
    public ReflectorPollMode Poll { get; init; } = ReflectorPollMode.Epoll;
    /// <summary>The thread's name (shown in /proc/PID/task/TID/comm, at most 15 characters).</summary>
    public string ThreadName { get; init; } = "reflector";
}
