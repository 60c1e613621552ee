using System.Net;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Scheduling;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Bench;

/// <summary>What the reflector under test answers with.</summary>
enum ReplyKind { Twamp, Echo }

/// <summary>One stream of test packets: a local socket, where it sends, and its protection.</summary>
sealed class Target : IDisposable
{
    public required UdpTestSocket Socket { get; init; }
    public UdpPeer Peer { get; set; }
    public TestPacketLayout Layout { get; init; } = TestPacketLayout.Unauthenticated;
    /// <summary>Two instances: TestPacketCrypto is not thread-safe and the sender and receiver threads both use it.</summary>
    public TestPacketCrypto? SendCrypto { get; set; }
    public TestPacketCrypto? ReceiveCrypto { get; set; }
    public ReplyKind Kind { get; init; } = ReplyKind.Twamp;
    /// <summary>Octets of every test packet (null: the symmetric minimum, sender header + padding = reflector header).</summary>
    public int? Length { get; init; }
    public int PacketLength => Length ?? Layout.ReflectorHeader;

    internal long Offset;   // phase of this stream in the schedule, ns
    internal long Sent;
    internal bool[] Seen = [];

    public static UdpTestSocket Bind(int bufferBytes) => UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions
    {
        ReceiveTimestamps = true, ReceiveTtl = false, ReceiveTrafficClass = false,
        ReceiveBufferBytes = bufferBytes, SendBufferBytes = bufferBytes, DualStack = false,
    });

    public void Dispose()
    {
        SendCrypto?.Dispose();
        ReceiveCrypto?.Dispose();
        Socket.Dispose();
    }
}

sealed class LoadResult
{
    public double RequestedPps;
    public double OfferedPps;     // what actually left (sent / send duration)
    public long Sent, Received, Invalid, Duplicates;
    public double LossPercent => Sent == 0 ? 0 : 100.0 * (Sent - Received) / Sent;
    public long[] RttNs = [];
    public long[] TurnaroundNs = [];

}

/// <summary>
/// Open-loop paced sender: every tick it sends, per target, the packets the schedule owes
/// (sendmmsg batches), each stamped with its own T1; a receiver thread collects the replies with
/// their kernel RX timestamps (T4). Loss, RTT (T4−T1) and reflector turnaround (T3−T2) come out.
/// </summary>
sealed class LoadGenerator
{
    readonly Target[] _targets;
    readonly double _ratePerTarget;
    readonly TimeSpan _duration;
    readonly long _tickNs;
    readonly ErrorEstimate _estimate = ErrorEstimate.FromError(0.001, false);
    volatile bool _receiving = true;
    long[] _rtt = [], _turnaround = [];
    int _samples;
    long _invalid, _dup;

    public LoadGenerator(IReadOnlyList<Target> targets, double ratePerTarget, TimeSpan duration, long tickNs)
    {
        _targets = [.. targets];
        _ratePerTarget = ratePerTarget;
        _duration = duration;
        _tickNs = tickNs;
        long perTarget = (long)(ratePerTarget * duration.TotalSeconds) + 16;
        long intervalNs = (long)(1e9 / ratePerTarget);
        for (int i = 0; i < _targets.Length; i++)
        {
            _targets[i].Seen = new bool[perTarget];
            _targets[i].Sent = 0;
            _targets[i].Offset = _targets.Length == 1 ? 0 : intervalNs * i / _targets.Length;
        }
        long total = perTarget * _targets.Length;
        _rtt = new long[total];
        _turnaround = new long[total];
    }

    /// <summary>Runs the load, then waits <paramref name="drain"/> for the last replies.</summary>
    public LoadResult Run(TimeSpan drain, int? senderCpu)
    {
        var receiver = new Thread(ReceiveLoop) { Name = "bench-rx", IsBackground = true };
        receiver.Start();
        if (senderCpu is int cpu) ThreadTuning.PinCurrentThread(cpu);
        var (sent, sendNs) = SendLoop();
        Thread.Sleep(drain);
        _receiving = false;
        receiver.Join();
        var rtt = _rtt[.._samples];
        var ta = _turnaround[.._samples].Where(x => x != long.MinValue).ToArray();
        Array.Sort(rtt);
        Array.Sort(ta);
        return new LoadResult
        {
            RequestedPps = _ratePerTarget * _targets.Length,
            OfferedPps = sent / (sendNs / 1e9),
            Sent = sent, Received = _samples, Invalid = _invalid, Duplicates = _dup,
            RttNs = rtt, TurnaroundNs = ta,
        };
    }

    (long Sent, long Ns) SendLoop()
    {
        using var batch = new PacketBatch(1024, 256);
        long durationNs = (long)_duration.TotalNanoseconds;
        long start = RealtimeClock.UnixNanoseconds();
        long end = start + durationNs;
        long total = 0;
        while (true)
        {
            long now = RealtimeClock.UnixNanoseconds();
            long elapsed = Math.Min(now, end) - start;
            foreach (var t in _targets)
            {
                long due = elapsed < t.Offset ? 0 : (long)((elapsed - t.Offset) * _ratePerTarget / 1e9) + 1;
                due = Math.Min(due, t.Seen.Length - 16);
                while (t.Sent < due)
                {
                    int n = (int)Math.Min(due - t.Sent, batch.Capacity);
                    for (int i = 0; i < n; i++) Fill(batch, i, t, (uint)(t.Sent + i));
                    int s;
                    try { s = t.Socket.Send(batch, n); }
                    catch (System.Net.Sockets.SocketException) { s = 0; }
                    // A full socket buffer: those packets are lost on our side; count them as sent.
                    t.Sent += n;
                    total += n;
                    _ = s;
                }
            }
            if (now >= end) return (total, now - start);
            Native.SleepNs(Math.Min(_tickNs, end - now));
        }
    }

    void Fill(PacketBatch batch, int slot, Target t, uint seq)
    {
        var buffer = batch.Buffer(slot)[..t.PacketLength];
        var p = new SenderPacket(buffer, t.Layout);
        p.ClearHeader();
        p.SequenceNumber = seq;
        p.ErrorEstimate = _estimate;
        p.Timestamp = NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds());
        t.SendCrypto?.ProtectSender(buffer);
        ref var meta = ref batch.Meta(slot);
        meta.Length = t.PacketLength;
        meta.Peer = t.Peer;
        meta.TrafficClass = -1;
    }

    void ReceiveLoop()
    {
        using var batch = new PacketBatch(64, 2048);
        // Polled, not woken per packet: replies are drained in batches every 100 µs so that the
        // generator's own wakeups do not eat the core its sender needs. T4 is the kernel's RX
        // timestamp, so the polling does not change the measurement.
        if (_targets.Length == 1)
        {
            var t = _targets[0];
            while (_receiving)
            {
                int n;
                try { n = t.Socket.Receive(batch, 0); }
                catch (System.Net.Sockets.SocketException) { n = 0; }
                for (int i = 0; i < n; i++) Accept(t, batch, i);
                if (n < batch.Capacity) Native.SleepNs(100_000);
            }
            return;
        }
        using var poller = new Poller();
        for (int i = 0; i < _targets.Length; i++) poller.Add(_targets[i].Socket.Handle, (ulong)i);
        Span<ulong> ready = stackalloc ulong[64];
        while (_receiving)
        {
            int r = poller.Wait(ready, 0);
            for (int k = 0; k < r; k++)
            {
                if (ready[k] >= (ulong)_targets.Length) continue;
                var t = _targets[(int)ready[k]];
                while (true)
                {
                    int n;
                    try { n = t.Socket.Receive(batch, 0); }
                    catch (System.Net.Sockets.SocketException) { break; }
                    for (int i = 0; i < n; i++) Accept(t, batch, i);
                    if (n < batch.Capacity) break;
                }
            }
            if (r < ready.Length) Native.SleepNs(200_000);
        }
    }

    void Accept(Target t, PacketBatch batch, int slot)
    {
        ref var meta = ref batch.Meta(slot);
        var buffer = batch.Buffer(slot)[..meta.Length];
        uint seq;
        long t1, turnaround = long.MinValue;
        if (t.Kind == ReplyKind.Echo)
        {
            if (meta.Length < t.Layout.SenderHeader) { _invalid++; return; }
            var p = new SenderPacket(buffer, t.Layout);
            seq = p.SequenceNumber;
            t1 = p.Timestamp.ToUnixNanoseconds();
        }
        else
        {
            if (meta.Length < t.Layout.ReflectorHeader || (t.ReceiveCrypto is { } c && !c.UnprotectReflector(buffer))) { _invalid++; return; }
            var r = new ReflectorPacket(buffer, t.Layout);
            seq = r.SenderSequenceNumber;
            t1 = r.SenderTimestamp.ToUnixNanoseconds();
            turnaround = r.Timestamp.ToUnixNanoseconds() - r.ReceiveTimestamp.ToUnixNanoseconds();
        }
        if (seq >= t.Seen.Length) { _invalid++; return; }
        if (t.Seen[seq]) { _dup++; return; }
        t.Seen[seq] = true;
        int i = _samples;
        if (i >= _rtt.Length) return;
        _rtt[i] = meta.UnixNanoseconds - t1;
        _turnaround[i] = turnaround;
        _samples = i + 1;
    }
}
