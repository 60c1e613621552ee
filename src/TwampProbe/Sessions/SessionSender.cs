using System.Net;
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
/// </summary>
public sealed class SessionSender : IDisposable
{
    readonly UdpTestSocket _socket;
    readonly SenderOptions _options;
    readonly TestPacketLayout _layout;
    readonly ClockState _clock;
    TestPacketCrypto? _crypto;
    UdpPeer _reflector;
    bool _light;

    public SessionStatistics Statistics { get; } = new();
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;
    public TimestampSource RxTimestampSource => _socket.RxTimestampSource;
    public string? TimestampFallbackReason => _socket.TimestampFallbackReason;
    public Action<ReplySample>? OnReply { get; set; }

    public SessionSender(IPAddress localAddress, SenderOptions options, ClockState clock, int localPort = 0)
    {
        _options = options;
        _clock = clock;
        _layout = TestPacketLayout.For(options.Security);
        if (options.DscpEcnMonitoring)
            _layout = TestPacketLayout.For((options.Security switch
            {
                TestSecurity.Authenticated => TwampModes.Authenticated,
                TestSecurity.Encrypted => TwampModes.Encrypted,
                _ => TwampModes.Unauthenticated,
            }) | TwampModes.DscpEcnMonitoring);
        _txBySend = new long[Math.Max(1, options.Count)];
        _seqBySend = new int[Math.Max(1, options.Count)];
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

    /// <summary>Sets where to send: the reflector's address and the port from Accept-Session (or the Light port).</summary>
    public void Target(IPEndPoint reflector, SessionKeys? keys, ReadOnlySpan<byte> sid, bool light = false)
    {
        _reflector = UdpPeer.From(reflector);
        _light = light;
        if (_options.Security != TestSecurity.Unauthenticated)
            _crypto = new TestPacketCrypto(keys ?? throw new ArgumentNullException(nameof(keys)), sid, _options.Security);
    }

    /// <summary>Sends the whole schedule and waits LossTimeout for the last replies.</summary>
    public void Run(CancellationToken ct)
    {
        using var receiverDone = new ManualResetEventSlim();
        long receiveUntil = long.MaxValue;
        var receiver = new Thread(() => { ReceiveLoop(() => Volatile.Read(ref receiveUntil), ct); receiverDone.Set(); })
        { Name = "sender-rx", IsBackground = true };
        receiver.Start();
        try
        {
            SendLoop(ct);
        }
        finally
        {
            Volatile.Write(ref receiveUntil, RealtimeClock.UnixNanoseconds() + (long)_options.LossTimeout.TotalNanoseconds);
            receiverDone.Wait(CancellationToken.None);
        }
    }

    void SendLoop(CancellationToken ct)
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
        long interval = (long)_options.Interval.TotalNanoseconds;
        long start = RealtimeClock.UnixNanoseconds();
        for (int i = 0; i < _options.Count && !ct.IsCancellationRequested; i++)
        {
            WaitUntil(start + i * interval, ct);
            var view = new SenderPacket(packet, _layout);
            view.ClearHeader();
            view.SequenceNumber = (uint)i;
            view.ErrorEstimate = _clock.ErrorEstimate;
            view.Timestamp = NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds());
            _crypto?.ProtectSender(packet);
            // Counted before it leaves: on loopback the reply can beat the next instruction.
            Statistics.PacketsSent = i + 1;
            try
            {
                _socket.SendTo(packet, _reflector, tos);
                // OPT_ID numbers successful sends from 0; remember which sequence number each was.
                int sendIndex = _sends++;
                if (sendIndex < _seqBySend.Length) _seqBySend[sendIndex] = i;
            }
            catch (System.Net.Sockets.SocketException e) { Log.Debug($"sender: packet {i}: {e.Message}"); }
        }
    }

    /// <summary>Sleeps to ~1 ms before the deadline, then spins: send times stay within microseconds.</summary>
    static void WaitUntil(long deadlineNs, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            long left = deadlineNs - RealtimeClock.UnixNanoseconds();
            if (left <= 0) return;
            if (left > 2_000_000) Thread.Sleep(TimeSpan.FromTicks((left - 1_500_000) / 100));
            else if (left > 200_000) Thread.Sleep(0);
            else Thread.SpinWait(20);
        }
    }

    readonly long[] _txBySend;
    readonly int[] _seqBySend;
    readonly TxTimestamp[] _tx = new TxTimestamp[64];
    volatile int _sends;
    byte _txSource;

    void ReceiveLoop(Func<long> until, CancellationToken ct)
    {
        using var batch = new PacketBatch(16, ReflectorEngine.MaxPacket + 112);
        while (!ct.IsCancellationRequested && RealtimeClock.UnixNanoseconds() < until())
        {
            int n;
            try { n = _socket.Receive(batch, 50); }
            catch (System.Net.Sockets.SocketException e) { Log.Debug($"sender: receive: {e.Message}"); continue; }
            DrainTransmitTimestamps();
            for (int i = 0; i < n; i++) Accept(batch, i);
        }
        DrainTransmitTimestamps();
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
                    _txSource = (byte)_tx[i].Source;
                }
    }

    /// <summary>The TX timestamp of the packet with this sequence number, 0 if none came back.</summary>
    long TransmitTime(uint seq)
    {
        // Sends only fail rarely, so the send index is normally the sequence number.
        int sends = Math.Min(_sends, _seqBySend.Length);
        int guess = (int)Math.Min(seq, (uint)Math.Max(0, sends - 1));
        for (int k = guess; k >= 0 && k >= guess - 8; k--)
            if (_seqBySend[k] == seq) return _txBySend[k];
        return 0;
    }

    void Accept(PacketBatch batch, int slot)
    {
        ref var meta = ref batch.Meta(slot);
        var buffer = batch.Buffer(slot)[..meta.Length];
        // Only the reflector's address and port count; anything else, or a malformed reply, is dropped and counted.
        if (!meta.Peer.Equals(_reflector) || meta.Truncated || meta.Length < _layout.ReflectorHeader
            || (_crypto is not null && !_crypto.UnprotectReflector(buffer)))
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
        var sample = new ReplySample(
            senderSeq, reply.SequenceNumber,
            reply.SenderTimestamp.ToUnixNanoseconds(), reply.ReceiveTimestamp.ToUnixNanoseconds(),
            reply.Timestamp.ToUnixNanoseconds(), meta.UnixNanoseconds,
            reply.SenderErrorEstimate.Synchronized, reply.ErrorEstimate.Synchronized,
            reply.SenderErrorEstimate.ErrorSeconds, reply.ErrorEstimate.ErrorSeconds,
            reply.SenderTtl, meta.Ttl, meta.TrafficClass, (byte)meta.TimestampSource)
        {
            ForwardTrafficClass = reply.SenderDscpEcn,
            T1Transmit = TransmitTime(senderSeq),
            T1Source = _txSource,
        };
        if (Statistics.Add(sample)) OnReply?.Invoke(sample);
    }

    public void Dispose()
    {
        _crypto?.Dispose();
        _socket.Dispose();
    }
}
