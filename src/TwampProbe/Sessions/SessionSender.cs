using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using TwampProbe.Diagnostics;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Scheduling;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Statistics;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Time;

namespace TwampProbe.Sessions;

/// <summary>
/// The Session-Sender (RFC 5357 §4.1): sends test packets on a schedule, each stamped with its real
/// departure time just before it leaves, and collects the reflected packets. The receive side runs
/// on its own thread; T4 comes from the kernel's RX timestamp.
/// <para>Threads and ownership: <see cref="Target"/> runs before <see cref="Run"/> (thread start orders it).
/// Run hands one <see cref="TestPacketCrypto"/> to the send loop and another to the receive thread: each
/// thread is the only user of its instance and disposes it when its loop ends (neither HMAC nor AES
/// transform is thread-safe). Shared state has one writer: the send loop writes PacketsSent and the
/// send-index table (published with Volatile), the receive thread writes everything else in
/// <see cref="Statistics"/> and the TX-timestamp table; the caller reads Statistics after Run returns.</para>
/// <para>Time: the schedule, the receive deadline and every wait use CLOCK_MONOTONIC
/// (<see cref="IClock.MonotonicNanoseconds"/>); the wall clock only goes into T1. A step of the wall
/// clock (NTP on a board without RTC) neither bunches nor stalls the schedule.</para>
/// </summary>
public sealed class SessionSender : IDisposable
{
    readonly UdpTestSocket _socket;
    readonly SenderOptions _options;
    readonly TestPacketLayout _layout;
    readonly ClockState _clock;
    readonly IClock _time;
    // Created by Target, handed to the send loop / receive thread by Run (which dispose them);
    // Dispose frees whichever were never handed over.
    TestPacketCrypto? _txCrypto;
    TestPacketCrypto? _rxCrypto;
    UdpPeer _reflector;
    IPEndPoint? _source;
    bool _light;

    public SessionStatistics Statistics { get; } = new();
    /// <summary>The send loop's and the receive thread's own work (read after <see cref="Run"/>).</summary>
    public SenderCost Cost { get; } = new();
    /// <summary>
    /// When each sequence number went out, on CLOCK_MONOTONIC: the send loop writes the slot before it
    /// publishes PacketsSent (Volatile), the receive thread reads it for the loss threshold.
    /// </summary>
    readonly long[] _sentAt;
    /// <summary>The bound socket's address and port (the wildcard address when bound to it).</summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;
    /// <summary>
    /// Where the packets really leave from: the bound port and, for a wildcard bind, the source address
    /// the kernel's route toward the reflector picks (known after <see cref="Target"/>).
    /// </summary>
    public IPEndPoint SourceEndPoint => _source ?? _socket.LocalEndPoint;
    public TimestampSource RxTimestampSource => _socket.RxTimestampSource;
    public string? TimestampFallbackReason => _socket.TimestampFallbackReason;
    public Action<ReplySample>? OnReply { get; set; }
    /// <summary>A reply that is not measured: a duplicate (false) or one after the loss threshold (true, counted lost). Receive thread.</summary>
    public Action<ReplySample, bool>? OnUnmeasuredReply { get; set; }

    public SessionSender(IPAddress localAddress, SenderOptions options, ClockState clock, int localPort = 0, IClock? time = null)
    {
        _options = options;
        _clock = clock;
        _time = time ?? SystemClock.Instance;
        _layout = TestPacketLayout.For(options.Security);
        if (options.DscpEcnMonitoring)
            _layout = TestPacketLayout.For((options.Security switch
            {
                TestSecurity.Authenticated => TwampModes.Authenticated,
                TestSecurity.Encrypted => TwampModes.Encrypted,
                _ => TwampModes.Unauthenticated,
            }) | TwampModes.DscpEcnMonitoring);
        _txBySend = new long[Math.Max(1, options.Count)];
        _txSourceBySend = new byte[Math.Max(1, options.Count)];
        _sendIndexBySeq = new int[Math.Max(1, options.Count)];
        Array.Fill(_sendIndexBySeq, -1);
        _sentAt = new long[Math.Max(1, options.Count)];
        _socket = UdpTestSocket.Bind(new IPEndPoint(localAddress, localPort), new UdpSocketOptions
        {
            ReceiveTimestamps = true,
            ReceiveTtl = true,
            ReceiveTrafficClass = true,
            SendTtl = options.Ttl,
            TransmitTimestamps = options.TransmitTimestamps,
            ReceiveBufferBytes = 1 << 20,
            DualStack = localAddress.Equals(IPAddress.IPv6Any),
        });
    }

    public int PaddingLength => _options.Padding ?? _layout.SymmetricPadding;
    public int PacketLength => _layout.SenderHeader + PaddingLength;

    /// <summary>Length of a reply in RFC 5357's reflector format (RFC 7750's with DSCP and ECN Monitoring), padding excluded.</summary>
    public int ConformingReplyLength => _layout.ReflectorHeader;

    /// <summary>
    /// Shortest reply that is still measured: every timestamp field of the reflector format present.
    /// Unauthenticated (RFC 5357 §4.2.1): octets 0-37 — Sequence Number, Timestamp (T3), Error Estimate,
    /// MBZ, Receive Timestamp (T2), Sender Sequence Number, Sender Timestamp (T1), Sender Error Estimate;
    /// only the 2 MBZ octets and Sender TTL (38-40) are missing. Some deployed TWAMP Light reflectors
    /// send exactly these 38 octets. In modes 2 and 4 the HMAC (96-111) must be there, so no shortening.
    /// </summary>
    public int MinimumReplyLength => _layout.Security == TestSecurity.Unauthenticated
        ? _layout.CopiedSenderErrorEstimate + 2 // the Error Estimate is 2 octets
        : _layout.ReflectorHeader;

    /// <summary>Sets where to send: the reflector's address and the port from Accept-Session (or the Light port).</summary>
    public void Target(IPEndPoint reflector, SessionKeys? keys, ReadOnlySpan<byte> sid, bool light = false)
    {
        _reflector = UdpPeer.From(reflector);
        _light = light;
        _source = new IPEndPoint(SourceAddressToward(reflector, _socket.LocalEndPoint.Address), _socket.LocalEndPoint.Port);
        if (_options.Security != TestSecurity.Unauthenticated)
        {
            ArgumentNullException.ThrowIfNull(keys);
            DisposeCrypto();
            // Two instances from the same keys: one for the send loop, one for the receive thread.
            _txCrypto = new TestPacketCrypto(keys, sid, _options.Security);
            _rxCrypto = new TestPacketCrypto(keys, sid, _options.Security);
        }
    }

    /// <summary>
    /// The local address the kernel would send from toward <paramref name="target"/> when the socket is
    /// bound to the wildcard: connect() of a throwaway UDP socket does the route lookup and sends nothing.
    /// </summary>
    static IPAddress SourceAddressToward(IPEndPoint target, IPAddress bound)
    {
        if (!bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any)) return bound;
        var address = target.Address.IsIPv4MappedToIPv6 ? target.Address.MapToIPv4() : target.Address;
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(address, target.Port == 0 ? 9 : target.Port));
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (SocketException e)
        {
            Log.Debug($"sender: no route toward {address}: {e.Message}");
            return bound;
        }
    }

    /// <summary>Sends the whole schedule and waits LossTimeout for the last replies. Once per Target.</summary>
    public void Run(CancellationToken ct)
    {
        var txCrypto = Interlocked.Exchange(ref _txCrypto, null);
        var rxCrypto = Interlocked.Exchange(ref _rxCrypto, null);
        if (_options.Security != TestSecurity.Unauthenticated && (txCrypto is null || rxCrypto is null))
        {
            txCrypto?.Dispose();
            rxCrypto?.Dispose();
            throw new InvalidOperationException("SessionSender.Run: Target (with the session keys) must come first, once per Run");
        }
        using var receiverDone = new ManualResetEventSlim();
        long receiveUntil = long.MaxValue;
        var receiver = new Thread(() =>
        {
            try { ReceiveLoop(rxCrypto, () => Volatile.Read(ref receiveUntil), ct); }
            finally
            {
                rxCrypto?.Dispose();
                receiverDone.Set();
            }
        })
        { Name = "sender-rx", IsBackground = true };
        receiver.Start();
        try
        {
            SendLoop(txCrypto, ct);
        }
        finally
        {
            txCrypto?.Dispose();
            Volatile.Write(ref receiveUntil, _time.MonotonicNanoseconds + (long)_options.LossTimeout.TotalNanoseconds);
            receiverDone.Wait(CancellationToken.None);
        }
    }

    void SendLoop(TestPacketCrypto? crypto, CancellationToken ct)
    {
        if (_options.Cpu is int cpu)
        {
            try { ThreadTuning.PinCurrentThread(cpu); }
            catch (Exception e) { Log.Warn($"sender: cannot pin to CPU {cpu}: {e.Message}"); }
        }
        var packet = new byte[PacketLength];
        // RFC 4656 §4.1.2: padding SHOULD be pseudo-random (with an option for zeros).
        if (!_options.ZeroPadding) RandomNumberGenerator.Fill(packet.AsSpan(_layout.SenderHeader));
        int tos = (_options.Dscp << 2) | (_options.Ecn & 3);
        var schedule = new SendSchedule(_options.Interval, _options.ExponentialInterval, _options.ScheduleSeed);
        long start = _time.MonotonicNanoseconds;
        long busy = 0;
        int i = 0;
        for (; i < _options.Count && !ct.IsCancellationRequested; i++)
        {
            WaitUntil(start + schedule.Next(), ct);
            long workStart = _time.MonotonicNanoseconds;
            var view = new SenderPacket(packet, _layout);
            view.ClearHeader();
            view.SequenceNumber = (uint)i;
            // T1 as late as the format allows: after the protection in mode 2, before it in mode 4 (TimestampOrder).
            TimestampOrder.StampSender(packet, _layout, crypto, _clock.ErrorEstimate, _time);
            // Counted before it leaves: on loopback the reply can beat the next instruction.
            _sentAt[i] = _time.MonotonicNanoseconds;
            Statistics.PacketsSent = i + 1;
            // OPT_ID numbers successful sends from 0; remember which send each sequence number was, by sequence
            // number (no search: any number of failed sends in a row keeps the rest matched). Single writer: written
            // before the send, as on loopback the reply (and its lookup of the TX timestamp) can come before sendmsg
            // returns; a failed send takes its number back, and the next send gets the same index.
            int sendIndex = _sends;
            Volatile.Write(ref _sendIndexBySeq[i], sendIndex);
            try
            {
                _socket.SendTo(packet, _reflector, tos);
                _sends = sendIndex + 1;
            }
            catch (SocketException e)
            {
                Volatile.Write(ref _sendIndexBySeq[i], -1);
                Log.Debug($"sender: packet {i}: {e.Message}");
            }
            busy += _time.MonotonicNanoseconds - workStart;
        }
        Cost.SendBusyNs = busy;
        Cost.PacketsSent = i;
    }

    /// <summary>Sleeps to ~1 ms before the (monotonic) deadline, then spins: send times stay within microseconds.</summary>
    void WaitUntil(long deadlineNs, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            long left = deadlineNs - _time.MonotonicNanoseconds;
            if (left <= 0) return;
            // At most 100 ms per sleep so that cancellation (Ctrl-C) is seen promptly at long intervals.
            if (left > 2_000_000) Thread.Sleep(TimeSpan.FromTicks(Math.Min(left - 1_500_000, 100_000_000) / 100));
            else if (left > 200_000) Thread.Sleep(0);
            else Thread.SpinWait(20);
        }
    }

    /// <summary>By send index (OPT_ID): the TX timestamp and its source; receive thread only.</summary>
    readonly long[] _txBySend;
    readonly byte[] _txSourceBySend;
    /// <summary>By sequence number: its send index, −1 when not sent (yet, or the send failed).</summary>
    readonly int[] _sendIndexBySeq;
    readonly TxTimestamp[] _tx = new TxTimestamp[64];
    /// <summary>Successful sends so far (send thread only).</summary>
    int _sends;
    bool _acceptFailed;

    void ReceiveLoop(TestPacketCrypto? crypto, Func<long> until, CancellationToken ct)
    {
        using var batch = new PacketBatch(16, ReflectorEngine.MaxPacket + 112);
        long cpuStart = ThreadCpuClock.Nanoseconds();
        long handled = 0;
        while (!ct.IsCancellationRequested && _time.MonotonicNanoseconds < until())
        {
            int n;
            try { n = _socket.Receive(batch, 50); }
            catch (SocketException e) { Log.Debug($"sender: receive: {e.Message}"); continue; }
            handled += n;
            long receivedAt = _time.MonotonicNanoseconds, receivedAtUnix = _time.UnixNanoseconds;
            DrainTransmitTimestamps();
            for (int i = 0; i < n; i++)
            {
                // One odd reply must not end the session (or the process): count it and go on.
                try { Accept(batch, i, crypto, receivedAt, receivedAtUnix); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Statistics.Invalid++;
                    if (!_acceptFailed) Log.Debug($"sender: reply dropped: {e.GetType().Name}: {e.Message}");
                    _acceptFailed = true;
                }
            }
        }
        DrainTransmitTimestamps();
        // A stamp that came after its reply (a NIC's completion can lag a fast path) still gives that reply its departure.
        if (_options.TransmitTimestamps) Statistics.FillTransmitTimes(s => TransmitTime(s.SenderSequence, s.T1));
        Cost.ReceiveCpuNs = ThreadCpuClock.Nanoseconds() - cpuStart;
        Cost.RepliesHandled = handled;
    }

    /// <summary>Moves kernel/hardware TX timestamps from the error queue into the per-send table.</summary>
    void DrainTransmitTimestamps()
    {
        if (!_options.TransmitTimestamps) return;
        int n;
        while ((n = _socket.ReadTransmitTimestamps(_tx)) > 0)
            for (int i = 0; i < n; i++)
                if (_tx[i].Id < (uint)_txBySend.Length)
                {
                    _txBySend[_tx[i].Id] = _tx[i].UnixNanoseconds;
                    _txSourceBySend[_tx[i].Id] = (byte)_tx[i].Source;
                }
    }

    /// <summary>
    /// The TX timestamp of the packet with this sequence number and its source, (0, 0) if none came back (yet) or if
    /// the one found cannot be this packet's: before its T1 (read before sendmsg on the same clock; a NIC's stamp,
    /// converted from its PHC, may be up to 1 ms off) or more than a second after it. A kernel that counted a send
    /// that then failed would shift the numbering by one: each reply would get the previous packet's stamp.
    /// </summary>
    (long Tx, byte Source) TransmitTime(uint seq, long t1)
    {
        if (seq >= (uint)_sendIndexBySeq.Length) return (0, 0);
        int index = Volatile.Read(ref _sendIndexBySeq[seq]);
        if (index < 0 || index >= _txBySend.Length) return (0, 0);
        long tx = _txBySend[index];
        byte source = _txSourceBySend[index];
        if (tx == 0) return (0, 0);
        long earliest = source == (byte)TimestampSource.Hardware ? t1 - 1_000_000 : t1;
        return tx < earliest || tx > t1 + 1_000_000_000 ? (0, 0) : (tx, source);
    }

    void Accept(PacketBatch batch, int slot, TestPacketCrypto? crypto, long receivedAt, long receivedAtUnix)
    {
        ref var meta = ref batch.Meta(slot);
        var buffer = batch.Buffer(slot)[..meta.Length];
        // Only the reflector's address and port count; anything else, or a malformed reply, is dropped and counted.
        if (!meta.Peer.Equals(_reflector) || meta.Truncated || meta.Length < MinimumReplyLength
            || (crypto is not null && !crypto.UnprotectReflector(buffer)))
        {
            Statistics.Invalid++;
            return;
        }
        var reply = new ReflectorPacket(buffer, _layout);
        uint senderSeq = reply.SenderSequenceNumber;
        if (senderSeq >= Statistics.PacketsSent || !reply.ErrorEstimate.IsValid && !_light)
        {
            Statistics.Invalid++;
            return;
        }
        // A short reply (non-conforming reflector) has every timestamp but may lack Sender TTL and S-DSCP-ECN.
        bool hasTtl = meta.Length > _layout.SenderTtl;
        bool hasDscpEcn = _layout.SenderDscpEcn >= 0 && meta.Length > _layout.SenderDscpEcn;
        long t1 = reply.SenderTimestamp.ToUnixNanoseconds();
        var transmit = TransmitTime(senderSeq, t1);
        var sample = new ReplySample(
            senderSeq, reply.SequenceNumber,
            reply.SenderTimestamp.ToUnixNanoseconds(), reply.ReceiveTimestamp.ToUnixNanoseconds(),
            reply.Timestamp.ToUnixNanoseconds(), meta.UnixNanoseconds,
            reply.SenderErrorEstimate.Synchronized, reply.ErrorEstimate.Synchronized,
            reply.SenderErrorEstimate.ErrorSeconds, reply.ErrorEstimate.ErrorSeconds,
            hasTtl ? reply.SenderTtl : -1, meta.Ttl, meta.TrafficClass, (byte)meta.TimestampSource)
        {
            ForwardTrafficClass = hasDscpEcn ? reply.SenderDscpEcn : -1,
            T1Transmit = transmit.Tx,
            T1Source = transmit.Source,
            Short = meta.Length < _layout.ReflectorHeader,
        };
        // -L: a reply later than the loss threshold after its packet left is lost, not late (RFC 7680
        // §2.4, "within the loss threshold waiting time"). Judged on the monotonic clock, so a step of
        // the wall clock between T1 and T4 cannot make a reply late or timely. The time the reply
        // waited in the socket before this batch was read is taken off: its kernel RX timestamp and the
        // batch's wall-clock reading are microseconds to milliseconds apart on one clock (CLOCK_REALTIME);
        // clamped, so a step in between only loses the correction. Hardware stamps are on the NIC's clock.
        long elapsed = receivedAt - _sentAt[senderSeq];
        long queued = meta.TimestampSource == TimestampSource.Kernel && meta.UnixNanoseconds > 0
            ? Math.Clamp(receivedAtUnix - meta.UnixNanoseconds, 0, Math.Max(0, elapsed)) : 0;
        bool late = elapsed - queued > (long)_options.LossTimeout.TotalNanoseconds;
        if (Statistics.Add(sample, late)) OnReply?.Invoke(sample);
        else OnUnmeasuredReply?.Invoke(sample, late);
    }

    void DisposeCrypto()
    {
        Interlocked.Exchange(ref _txCrypto, null)?.Dispose();
        Interlocked.Exchange(ref _rxCrypto, null)?.Dispose();
    }

    /// <summary>Call after Run has returned (Run's threads dispose their own crypto).</summary>
    public void Dispose()
    {
        DisposeCrypto();
        _socket.Dispose();
    }
}
