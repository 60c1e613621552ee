using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using TwampProbe.Diagnostics;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Scheduling;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Protocol.Wire.Owamp.Test;
using TwampProbe.Time;

namespace TwampProbe.Owamp.Test;

/// <summary>
/// An OWAMP-Test sender (RFC 4656 §4.1): sends Number of Packets test packets at the send times of the
/// session's schedule (<see cref="Schedule"/>, computed from the SID exactly as the receiver computes
/// them), each stamped with its real departure time just before it leaves, with TTL 255 and the Type-P DSCP.
/// <para>"If the scheduled time to send is in the past, and is separated from the present by more than
/// Timeout time, the sender MUST NOT send the packet" and "MUST keep track of which packets it does not
/// send": such packets become <see cref="SkipRanges"/>; late packets within Timeout leave at once (§4.1.1).
/// <see cref="NextSeqno"/> and <see cref="SkipRanges"/> are what this side's Stop-Sessions record carries (§3.8).</para>
/// <para>Time: the schedule's NTP send times are mapped once onto CLOCK_MONOTONIC when <see cref="Run"/>
/// starts; every wait and the Timeout test use the monotonic clock, the wall clock only goes into the
/// Timestamp. Threads: <see cref="Run"/> runs on one thread, which owns the test-packet crypto and disposes
/// it; read NextSeqno, SkipRanges and PacketsSent after Run returned. Allocates nothing per packet.</para>
/// </summary>
public sealed class OwampTestSender : IDisposable
{
    OwampTestSpec? _spec;
    readonly UdpTestSocket _socket;
    readonly ClockState _clock;
    readonly IClock _time;
    readonly bool _zeroPadding;
    readonly int? _cpu;
    readonly List<SkipRange> _skips = new(4);
    TestPacketCrypto? _crypto;
    UdpPeer _receiver;
    bool _targeted;
    long _sent, _sendErrors, _threadAllocated;
    uint _nextSeqno;
    int _ran;

    /// <param name="spec">The session as agreed.</param>
    /// <param name="local">Address and port to send from (port 0: any).</param>
    /// <param name="zeroPadding">All-zero Packet Padding ("implementations MUST provide … a different means of making Packet Padding consist of all zeros", §4.1.2); else pseudo-random.</param>
    /// <param name="privileged">Opens the socket (a port below 1024 after the drop from root); null: this thread.</param>
    public OwampTestSender(OwampTestSpec spec, IPEndPoint local, ClockState clock, bool zeroPadding = false, int ttl = 255, int? cpu = null, IClock? time = null, Linux.Security.PrivilegedThread? privileged = null)
        : this(local, clock, zeroPadding, ttl, cpu, time, privileged) => Configure(spec);

    /// <summary>
    /// A sender whose socket is bound before the session is known: a Control-Client must put its Sender
    /// Port into Request-Session, and learns the SID (the receiver's choice, RFC 4656 §3.5) from
    /// Accept-Session. Call <see cref="Configure"/> before <see cref="Run"/>.
    /// </summary>
    public OwampTestSender(IPEndPoint local, ClockState clock, bool zeroPadding = false, int ttl = 255, int? cpu = null, IClock? time = null, Linux.Security.PrivilegedThread? privileged = null)
    {
        _clock = clock;
        _time = time ?? SystemClock.Instance;
        _zeroPadding = zeroPadding;
        _cpu = cpu;
        var options = new UdpSocketOptions
        {
            ReceiveTimestamps = false,
            ReceiveTtl = false,
            ReceiveTrafficClass = false,
            ReceiveLocalAddress = false,
            // RFC 4656 §4.1.2: "The sender SHOULD set the TTL in IPv4 (or Hop Limit in IPv6) … to 255."
            SendTtl = ttl,
            DualStack = local.Address.Equals(IPAddress.IPv6Any),
        };
        _socket = OwampTestEngine.Bind(local, options, privileged);
    }

    /// <summary>Sets the session (once; the constructor with a spec has done it). Derives the test keys now.</summary>
    public void Configure(OwampTestSpec spec)
    {
        spec.Check();
        if (_spec is not null) throw new InvalidOperationException("OwampTestSender: the session is already configured");
        _spec = spec;
        _crypto = OwampTestEngine.Crypto(spec);
    }

    /// <summary>The bound address and port (the port goes into Request-Session / Accept-Session).</summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    public OwampTestSpec Spec => _spec ?? throw new InvalidOperationException("OwampTestSender: not configured");

    /// <summary>Where the receiver listens (its address and the port of Accept-Session or Request-Session).</summary>
    public void Target(IPEndPoint receiver)
    {
        _receiver = UdpPeer.From(receiver);
        _targeted = true;
    }

    /// <summary>
    /// When the session is complete: "Timeout after the scheduled time for the last sequence number"
    /// (RFC 4656 §3.8), Unix ns — when this side SHOULD send its Stop-Sessions at the earliest.
    /// </summary>
    public long CompleteUnixNanoseconds
    {
        get
        {
            var spec = Spec;
            ulong last = 0;
            using (var schedule = new Schedule(spec.Sid, spec.Slots))
                for (uint i = 0; i < spec.Packets; i++) last = schedule.NextOffset();
            return OwampTestEngine.CompleteUnixNanoseconds(spec, last);
        }
    }

    /// <summary>The next sequence number that would have been sent (= Number of Packets when complete, RFC 4656 §3.8).</summary>
    public uint NextSeqno => Volatile.Read(ref _nextSeqno);
    /// <summary>Ranges of sequence numbers never sent, in order (RFC 4656 §3.8, §4.1.1). Read after <see cref="Run"/>.</summary>
    public IReadOnlyList<SkipRange> SkipRanges => _skips;
    public long PacketsSent => Volatile.Read(ref _sent);
    /// <summary>Packets the kernel refused to send (no route, …); they count as sent and will be lost.</summary>
    public long SendErrors => Volatile.Read(ref _sendErrors);
    /// <summary>Bytes allocated by the send thread so far (for the allocation tests).</summary>
    public long ThreadAllocatedBytes => Volatile.Read(ref _threadAllocated);

    /// <summary>Sends the whole schedule (or until <paramref name="ct"/> is cancelled). Once.</summary>
    public void Run(CancellationToken ct)
    {
        if (_spec is null) throw new InvalidOperationException("OwampTestSender.Run: Configure first");
        if (!_targeted) throw new InvalidOperationException("OwampTestSender.Run: Target first");
        if (Interlocked.Exchange(ref _ran, 1) != 0) throw new InvalidOperationException("OwampTestSender.Run runs once");
        var crypto = Interlocked.Exchange(ref _crypto, null);
        try { SendLoop(crypto, ct); }
        finally { crypto?.Dispose(); }
    }

    void SendLoop(TestPacketCrypto? crypto, CancellationToken ct)
    {
        var spec = _spec!;
        if (_cpu is int cpu)
        {
            try { ThreadTuning.PinCurrentThread(cpu); }
            catch (Exception e) { Log.Warn($"owamp sender: cannot pin to CPU {cpu}: {e.Message}"); }
        }
        var security = spec.Security;
        var packet = new byte[spec.PacketLength];
        // RFC 4656 §4.1.2: padding SHOULD be pseudo-random, generated independently of the schedule's numbers.
        if (!_zeroPadding) RandomNumberGenerator.Fill(packet.AsSpan(OwampTestPacket.HeaderLength(security)));
        int tos = spec.Dscp << 2;
        long timeout = spec.TimeoutNanoseconds;
        using var schedule = new Schedule(spec.Sid, spec.Slots);
        // The one place where the wall clock meets the monotonic one: NTP send times → monotonic deadlines.
        long wall0 = _time.UnixNanoseconds, mono0 = _time.MonotonicNanoseconds;
        uint seq = 0;
        for (; seq < spec.Packets; seq++)
        {
            if (ct.IsCancellationRequested) break;
            long scheduled = Schedule.SendTime(spec.StartTime, schedule.NextOffset()).ToUnixNanoseconds();
            long deadline = mono0 + (scheduled - wall0);
            if (_time.MonotonicNanoseconds - deadline > timeout)
            {
                Skip(seq); // RFC 4656 §4.1.1: more than Timeout in the past: MUST NOT send, MUST keep track
                continue;
            }
            if (!WaitUntil(deadline, ct)) break;
            var view = new OwampTestPacket(packet, security);
            view.ClearHeader();
            view.SequenceNumber = seq;
            if (security == TestSecurity.Authenticated)
            {
                // Mode 2 protects octets 0-15 only: encrypt and authenticate the sequence number first, then
                // read the clock, so the timestamp is as close to the departure as possible (§4.1.2).
                crypto!.ProtectSender(packet);
                view.ErrorEstimate = _clock.ErrorEstimate;
                view.Timestamp = NtpTimestamp.FromUnixNanoseconds(_time.UnixNanoseconds);
            }
            else
            {
                view.ErrorEstimate = _clock.ErrorEstimate;
                view.Timestamp = NtpTimestamp.FromUnixNanoseconds(_time.UnixNanoseconds);
                crypto?.ProtectSender(packet); // mode 4: fetch the timestamp, HMAC, encrypt, send
            }
            try { _socket.SendTo(packet, _receiver, tos); }
            catch (SocketException e)
            {
                if (Interlocked.Increment(ref _sendErrors) == 1) Log.Debug($"owamp sender: packet {seq}: {e.Message}");
            }
            Volatile.Write(ref _sent, _sent + 1);
            Volatile.Write(ref _nextSeqno, seq + 1);
            Volatile.Write(ref _threadAllocated, GC.GetAllocatedBytesForCurrentThread());
        }
        Volatile.Write(ref _nextSeqno, seq);
    }

    void Skip(uint seq)
    {
        if (_skips.Count > 0 && _skips[^1].Last + 1 == seq) _skips[^1] = _skips[^1] with { Last = seq };
        else _skips.Add(new SkipRange(seq, seq));
        Volatile.Write(ref _nextSeqno, seq + 1);
    }

    /// <summary>Sleeps to ~1 ms before the monotonic deadline, then spins. False when cancelled first.</summary>
    bool WaitUntil(long deadlineNs, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            long left = deadlineNs - _time.MonotonicNanoseconds;
            if (left <= 0) return true;
            // At most 100 ms per sleep, so that a stop is seen promptly at long intervals.
            if (left > 2_000_000) Thread.Sleep(TimeSpan.FromTicks(Math.Min(left - 1_500_000, 100_000_000) / 100));
            else if (left > 200_000) Thread.Sleep(0);
            else Thread.SpinWait(20);
        }
        return false;
    }

    /// <summary>Call after Run has returned (or when it never ran).</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _crypto, null)?.Dispose();
        _socket.Dispose();
    }
}
