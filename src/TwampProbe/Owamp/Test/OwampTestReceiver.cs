using System.Net;
using System.Net.Sockets;
using TwampProbe.Diagnostics;
using TwampProbe.Linux.Net;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Protocol.Wire.Owamp.Test;
using TwampProbe.Time;

namespace TwampProbe.Owamp.Test;

/// <summary>
/// An OWAMP-Test receiver (RFC 4656 §4.2): timestamps each packet on arrival (kernel RX timestamp where
/// the socket has one, as on the TWAMP path), decrypts and authenticates it in modes 2 and 4, checks it
/// against the session, and stores sequence number, send timestamp and error estimate, receive timestamp
/// and error estimate, and the TTL / Hop Limit of the IP header (255 when unreadable) in a bounded
/// <see cref="OwampRecordStore"/>. Packets that fail a check are dropped and counted by
/// <see cref="OwampDropReason"/>; nothing is logged per packet.
/// <para>"If any of the following is true, the packet MUST be discarded: Send timestamp is more than
/// Timeout in the past or in the future. Send timestamp differs by more than Timeout from the time when the
/// packet should have been sent according to its sequence number. In authenticated or encrypted mode,
/// HMAC verification fails." (§4.2)</para>
/// <para>Threads: <see cref="Run"/> (or the caller's own loop of <see cref="Poll"/>) is the only user of the
/// socket, the crypto and the store; it disposes the crypto when Run ends. Read <see cref="Store"/> and call
/// <see cref="Complete"/> after that; the counters may be read at any time. Deadlines are on CLOCK_MONOTONIC.
/// Allocates nothing per packet.</para>
/// <para>Memory: the constructor binds the socket and nothing more. The schedule's send times, the record
/// store and the receive batch — megabytes for a long session — are allocated when the session runs (the
/// first <see cref="Run"/> or <see cref="Poll"/>), so a client that requests sessions and never starts them
/// makes the server hold none of that.</para>
/// </summary>
public sealed class OwampTestReceiver : IDisposable
{
    /// <summary>Largest datagram kept whole; a longer one is truncated and dropped.</summary>
    public const int MaxPacket = 9000;

    readonly OwampTestSpec _spec;
    readonly UdpTestSocket _socket;
    readonly ClockState _clock;
    readonly IClock _time;
    ulong[]? _offsets;
    readonly long[] _dropped = new long[OwampDropReasons.Count];
    readonly int _header;
    readonly long _timeout;
    TestPacketCrypto? _crypto;
    PacketBatch? _batch;
    UdpPeer _sender;
    bool _anyPort;
    volatile bool _disposed;
    long _accepted, _threadAllocated;
    int _ran;
    int _trafficClass = -1;
    bool _trafficClassVaried;

    /// <param name="spec">The session as agreed.</param>
    /// <param name="local">Address and port to receive on (port 0: any; the port goes into Accept-Session / Request-Session).</param>
    /// <param name="maxRecords">The most records this session may keep.</param>
    /// <param name="privileged">Opens the socket (a port below 1024 after the drop from root, e.g. UDP 861); null: this thread.</param>
    public OwampTestReceiver(OwampTestSpec spec, IPEndPoint local, ClockState clock, int maxRecords, IClock? time = null, Linux.Security.PrivilegedThread? privileged = null)
    {
        spec.Check();
        _spec = spec;
        _clock = clock;
        _time = time ?? SystemClock.Instance;
        _header = OwampTestPacket.HeaderLength(spec.Security);
        _timeout = spec.TimeoutNanoseconds;
        Store = new OwampRecordStore(spec.Packets, maxRecords);
        var options = new UdpSocketOptions
        {
            ReceiveTimestamps = true,
            ReceiveTtl = true,
            ReceiveTrafficClass = true,
            ReceiveLocalAddress = false,
            ReceiveBufferBytes = 1 << 20,
            DualStack = local.Address.Equals(IPAddress.IPv6Any),
        };
        _socket = OwampTestEngine.Bind(local, options, privileged);
        _crypto = OwampTestEngine.Crypto(spec);
    }

    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;
    /// <summary>The descriptor, for a caller that waits on several receivers with a <see cref="Poller"/>.</summary>
    public int Handle => _socket.Handle;
    public TimestampSource RxTimestampSource => _socket.RxTimestampSource;
    public string? TimestampFallbackReason => _socket.TimestampFallbackReason;
    public OwampTestSpec Spec => _spec;
    public OwampRecordStore Store { get; }
    /// <summary>Packets accepted into the store (duplicates included).</summary>
    public long Accepted => Volatile.Read(ref _accepted);
    public long Dropped(OwampDropReason reason) => Volatile.Read(ref _dropped[(int)reason]);
    public long DroppedTotal { get { long t = 0; for (int i = 0; i < _dropped.Length; i++) t += Volatile.Read(ref _dropped[i]); return t; } }
    public long ThreadAllocatedBytes => Volatile.Read(ref _threadAllocated);
    /// <summary>TOS / traffic-class octet (DSCP &lt;&lt; 2 | ECN) of the accepted packets, −1 before the first or when unreadable.</summary>
    public int TrafficClass => Volatile.Read(ref _trafficClass);
    /// <summary>The accepted packets did not all carry the same traffic class.</summary>
    public bool TrafficClassVaried => Volatile.Read(ref _trafficClassVaried);

    /// <summary>The scheduled send time of packet <paramref name="seq"/>.</summary>
    public NtpTimestamp ScheduledSendTime(uint seq) => Schedule.SendTime(_spec.StartTime, Offsets[seq]);

    /// <summary>When the session is complete: Timeout after the scheduled time of the last packet (RFC 4656 §3.8), Unix ns.</summary>
    public long CompleteUnixNanoseconds =>
        OwampTestEngine.CompleteUnixNanoseconds(_spec, _spec.Packets == 0 ? 0 : Offsets[_spec.Packets - 1]);

    /// <summary>The schedule's offsets, computed on first use (any thread; the same array wins).</summary>
    ulong[] Offsets => Volatile.Read(ref _offsets)
        ?? Interlocked.CompareExchange(ref _offsets, Schedule.Offsets(_spec.Sid, _spec.Slots, (int)_spec.Packets), null)
        ?? _offsets!;

    /// <summary>The session's storage is allocated (it has run or been polled).</summary>
    public bool StorageAllocated => Store.Allocated && Volatile.Read(ref _batch) is not null;

    /// <summary>Allocates the send times, the record store and the batch: on the receive thread, when the session runs.</summary>
    PacketBatch EnsureStorage()
    {
        if (_batch is { } batch) return batch;
        if (_disposed) throw new ObjectDisposedException(nameof(OwampTestReceiver));
        _ = Offsets;
        Store.Allocate();
        batch = new PacketBatch(16, MaxPacket);
        Volatile.Write(ref _batch, batch);
        return batch;
    }

    /// <summary>Accept packets only from this address and port (port 0: any port of that address).</summary>
    public void ExpectFrom(IPEndPoint sender)
    {
        _anyPort = sender.Port == 0;
        _sender = UdpPeer.From(_anyPort ? new IPEndPoint(sender.Address, 1) : sender);
    }

    /// <summary>
    /// Receives until the session is complete (Timeout after the last scheduled send time, plus
    /// <paramref name="grace"/>) or <paramref name="ct"/> is cancelled (Stop-Sessions). Once.
    /// At the end it takes in what is already queued on the socket: a packet that arrived before the end
    /// is judged by its receive timestamp, not by when a busy host got round to reading it.
    /// </summary>
    public void Run(CancellationToken ct, TimeSpan grace = default)
    {
        if (Interlocked.Exchange(ref _ran, 1) != 0) throw new InvalidOperationException("OwampTestReceiver.Run runs once");
        EnsureStorage();
        long until = _time.MonotonicNanoseconds + (CompleteUnixNanoseconds - _time.UnixNanoseconds) + (long)grace.TotalNanoseconds;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                long left = until - _time.MonotonicNanoseconds;
                if (left <= 0) break;
                Poll((int)Math.Clamp(left / 1_000_000, 1, 50));
            }
            Drain();
        }
        finally
        {
            Interlocked.Exchange(ref _crypto, null)?.Dispose();
        }
    }

    /// <summary>
    /// What is queued at the end: at most the socket's receive buffer of datagrams (bounded, so that a
    /// flood cannot keep the loop going), without waiting.
    /// </summary>
    void Drain()
    {
        int most = (1 << 20) / OwampTestPacket.HeaderLength(TestSecurity.Unauthenticated);
        for (int read = 0; read < most;)
        {
            int n = Poll(0);
            if (n == 0) break;
            read += n;
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for packets (0: none) and takes in what arrived. Returns the datagrams read.</summary>
    public int Poll(int timeoutMs)
    {
        var batch = EnsureStorage();
        int n;
        try { n = _socket.Receive(batch, timeoutMs); }
        catch (SocketException e)
        {
            Log.Debug($"owamp receiver: receive: {e.Message}");
            return 0;
        }
        var receiveError = _clock.ErrorEstimate;
        for (int i = 0; i < n; i++)
        {
            var reason = Take(batch, i, receiveError);
            if (reason is OwampDropReason r) Interlocked.Increment(ref _dropped[(int)r]);
        }
        Volatile.Write(ref _threadAllocated, GC.GetAllocatedBytesForCurrentThread());
        return n;
    }

    OwampDropReason? Take(PacketBatch batch, int slot, ErrorEstimate receiveError)
    {
        ref var meta = ref batch.Meta(slot);
        if (meta.Truncated) return OwampDropReason.Truncated;
        if (_anyPort ? !meta.Peer.SameAddress(_sender) : !meta.Peer.Equals(_sender)) return OwampDropReason.UnknownSender;
        if (meta.Length < _header) return OwampDropReason.Runt;
        var buffer = batch.Buffer(slot)[..meta.Length];
        // RFC 4656 §4.2: "packets for which authentication fails MUST be discarded".
        if (_crypto is { } crypto && !crypto.UnprotectSender(buffer)) return OwampDropReason.BadHmac;
        var packet = new OwampTestPacket(buffer, _spec.Security);
        var error = packet.ErrorEstimate;
        // §4.1.2: "If Multiplier is zero, the packet SHOULD be considered corrupt and discarded."
        if (!error.IsValid) return OwampDropReason.BadErrorEstimate;
        uint seq = packet.SequenceNumber;
        if (seq >= _spec.Packets) return OwampDropReason.BadSequence;
        var sent = packet.Timestamp;
        long sentNs = sent.ToUnixNanoseconds();
        long receivedNs = meta.UnixNanoseconds;
        // §4.2: "Send timestamp is more than Timeout in the past or in the future" — MUST be discarded.
        if (Math.Abs(receivedNs - sentNs) > _timeout) return OwampDropReason.OutOfTime;
        // §4.2: "Send timestamp differs by more than Timeout from the time when the packet should have been sent".
        if (Math.Abs(sentNs - ScheduledSendTime(seq).ToUnixNanoseconds()) > _timeout) return OwampDropReason.OffSchedule;
        // §4.2: TTL from the IP header, or 255 when it cannot be read.
        byte ttl = meta.Ttl is >= 0 and <= 255 ? (byte)meta.Ttl : PacketRecord.UnknownTtl;
        var record = new PacketRecord(seq, error, receiveError, sent, NtpTimestamp.FromUnixNanoseconds(receivedNs), ttl);
        if (!Store.TryAdd(record)) return OwampDropReason.StoreFull;
        if (_accepted == 0) Volatile.Write(ref _trafficClass, meta.TrafficClass);
        else if (meta.TrafficClass != _trafficClass) Volatile.Write(ref _trafficClassVaried, true);
        Volatile.Write(ref _accepted, _accepted + 1);
        return null;
    }

    /// <summary>
    /// The session's results once the sender's Stop-Sessions record is known (see
    /// <see cref="OwampRecordStore.Complete"/>). <paramref name="stopUnixNanoseconds"/>: when Stop-Sessions
    /// arrived, if before <see cref="CompleteUnixNanoseconds"/>; null for a completed session. Call after Run.
    /// </summary>
    public OwampReceiveResult Complete(uint nextSeqno, IReadOnlyList<SkipRange> skipRanges, long? stopUnixNanoseconds = null) =>
        Store.Complete(nextSeqno, skipRanges, _spec.StartTime, Offsets, _timeout,
            stopUnixNanoseconds is long stop && stop < CompleteUnixNanoseconds ? stop : null, _clock.ErrorEstimate);

    /// <summary>Call after Run (or the caller's Poll loop) has ended.</summary>
    public void Dispose()
    {
        _disposed = true;
        Interlocked.Exchange(ref _crypto, null)?.Dispose();
        Interlocked.Exchange(ref _batch, null)?.Dispose();
        _socket.Dispose();
    }
}
