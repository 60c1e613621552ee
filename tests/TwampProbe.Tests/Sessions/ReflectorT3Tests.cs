using System.Collections.Concurrent;
using TwampProbe.Linux.Crypto;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Tests.Sessions;

/// <summary>
/// T3 per reply, just before that reply leaves: with the reflector's own TX timestamps (the T3-lead
/// diagnostic) on real loopback UDP. A clock holds the reflector thread at its first batch while a burst
/// queues up, so the next recvmmsg surely reads many requests at once.
/// </summary>
public sealed class ReflectorT3Tests
{
    const int Burst = 15;

    sealed class GatedClock : IClock
    {
        public readonly ManualResetEventSlim Entered = new(), Release = new();
        int _gated;
        int _reads;
        /// <summary>Clock reads (either clock) on the reflector thread once it was released.</summary>
        public int ReadsAfterRelease => Volatile.Read(ref _reads);
        /// <summary>The reflector thread's managed id (set when it is held).</summary>
        public volatile int ReflectorThreadId = -1;
        /// <summary>What the reflector thread did once released, in order: 'm' monotonic read (one per batch), 'u' wall-clock read (T3 and sends), 's' SHA-1 compression (when a test logs it).</summary>
        public readonly ConcurrentQueue<char> Events = new();

        /// <summary>Logs <paramref name="kind"/> when it happens on the released reflector thread.</summary>
        public void Log(char kind)
        {
            if (Release.IsSet && Environment.CurrentManagedThreadId == ReflectorThreadId) Events.Enqueue(kind);
        }

        void Count(char kind)
        {
            if (Release.IsSet && Thread.CurrentThread.Name?.StartsWith("reflector", StringComparison.Ordinal) == true) Interlocked.Increment(ref _reads);
            Log(kind);
        }

        public long MonotonicNanoseconds
        {
            get
            {
                Count('m');
                if (Thread.CurrentThread.Name?.StartsWith("reflector", StringComparison.Ordinal) == true && Interlocked.Exchange(ref _gated, 1) == 0)
                {
                    ReflectorThreadId = Environment.CurrentManagedThreadId;
                    Entered.Set();
                    Release.Wait(TimeSpan.FromSeconds(10));
                }
                return SystemClock.Instance.MonotonicNanoseconds;
            }
        }

        public long UnixNanoseconds
        {
            get
            {
                Count('u');
                return SystemClock.Instance.UnixNanoseconds;
            }
        }
    }

    /// <summary>
    /// Reflects one packet, then a burst of <see cref="Burst"/>; returns (T3 from the replies, TX − T3 from the probe,
    /// sendmmsg run lengths, the reflector thread's clock reads once released). Without <paramref name="measureLead"/>
    /// (the served reflector) there are no leads and runs.
    /// </summary>
    static (long[] T3, long[] Leads, long[] Runs, int ClockReads) Reflect(long boundNs, bool measureLead = true,
        TestSecurity security = TestSecurity.Unauthenticated, GatedClock? gated = null)
    {
        var clock = gated ?? new GatedClock();
        using var state = new ClockState(TimeSpan.Zero);
        using var engine = new ReflectorEngine(state, new ReflectorOptions { Clock = clock, MeasureT3Lead = measureLead, T3BatchBoundNs = boundNs, SocketBufferBytes = 1 << 20 });
        var rs = engine.Open(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { ReceiveBufferBytes = 1 << 20 });
        var layout = TestPacketLayout.For(security);
        using var keys = SessionKeys.CreateRandom();
        var sid = new byte[16];
        TestPacketCrypto? Crypto() => security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(keys, sid, security);
        using var senderCrypto = Crypto();
        using var replyCrypto = Crypto();
        var session = new ReflectorSession
        {
            Sid = sid, Mode = security switch { TestSecurity.Authenticated => TwampModes.Authenticated, TestSecurity.Encrypted => TwampModes.Encrypted, _ => TwampModes.Unauthenticated },
            Layout = layout, Sender = UdpPeer.From(sender.LocalEndPoint), Crypto = Crypto(),
            Dscp = 0, TimeoutNs = 0, PaddingLength = (uint)layout.SymmetricPadding,
        };
        session.Start(SystemClock.Instance.MonotonicNanoseconds);
        Assert.True(rs.TryAdd(session));

        using var batch = new PacketBatch(Burst + 1, 256);
        var reflector = UdpPeer.From(rs.LocalEndPoint);
        for (int i = 0; i <= Burst; i++)
        {
            var p = new SenderPacket(batch.Buffer(i), layout);
            p.ClearHeader();
            p.SequenceNumber = (uint)i;
            p.Timestamp = NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds());
            senderCrypto?.ProtectSender(batch.Buffer(i)[..layout.ReflectorHeader]);
            batch.Meta(i) = new PacketMeta { Length = layout.ReflectorHeader, Peer = reflector, TrafficClass = -1 };
        }
        Assert.Equal(1, sender.Send(batch, 0, 1));
        Assert.True(clock.Entered.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal(Burst, sender.Send(batch, 1, Burst)); // queued behind the held thread
        clock.Release.Set();

        var t3BySeq = new SortedDictionary<uint, long>();
        using var replies = new PacketBatch(Burst + 1, 256);
        long deadline = Environment.TickCount64 + 5000;
        while (t3BySeq.Count <= Burst && Environment.TickCount64 < deadline)
        {
            int n = sender.Receive(replies, 200);
            for (int i = 0; i < n; i++)
            {
                var bytes = replies.Buffer(i)[..replies.Meta(i).Length];
                Assert.True(replyCrypto?.UnprotectReflector(bytes) ?? true, "reply does not verify");
                var r = new ReflectorPacket(bytes, layout);
                t3BySeq[r.SequenceNumber] = r.Timestamp.ToUnixNanoseconds();
            }
        }
        Assert.Equal(Burst + 1, t3BySeq.Count);
        if (!measureLead) return ([.. t3BySeq.Values], [], [], clock.ReadsAfterRelease);
        long[] leads = [];
        while (leads.Length <= Burst && Environment.TickCount64 < deadline)
        {
            leads = engine.T3Lead!.Leads();
            if (leads.Length <= Burst) Thread.Sleep(10);
        }
        Assert.Equal(Burst + 1, leads.Length);
        return ([.. t3BySeq.Values], leads, engine.T3Lead!.RunLengths(), clock.ReadsAfterRelease);
    }

    [Fact]
    public void WithoutBatchingEveryReplyIsStampedAfterThePreviousOneLeft()
    {
        var (t3, leads, runs, _) = Reflect(0);

        Assert.Equal(Burst + 1, runs[1]); // one sendmmsg per reply
        for (int k = 0; k + 1 < t3.Length; k++)
        {
            long departure = t3[k] + leads[k]; // the kernel's TX timestamp of reply k
            Assert.True(t3[k + 1] >= departure - 2, $"reply {k + 1} was stamped {departure - t3[k + 1]} ns before reply {k} left");
        }
        Assert.All(leads, l => Assert.True(l >= -2, $"T3 after departure: {l} ns"));
    }

    [Fact]
    public void WithRoomInTheBoundRepliesShareASendmmsg()
    {
        var (_, leads, runs, _) = Reflect(1_000_000_000);

        Assert.Contains(runs.Skip(2), c => c > 0); // a run of two or more replies
        Assert.All(leads, l => Assert.True(l >= -2, $"T3 after departure: {l} ns"));
    }

    [Fact]
    public void EveryReplySentAloneCostsOneClockRead()
    {
        // bound 0: a sendmmsg per reply. The read that ends one send is the next reply's T3, so the burst costs one
        // read per reply plus the batch's monotonic read and the last send's, not three per reply.
        var (t3, _, _, reads) = Reflect(0, measureLead: false);

        Assert.Equal(Burst + 1, t3.Length);
        // After the release: the held packet's T3 and send (2); per recvmmsg batch of the burst, its monotonic read and
        // last send (2, at most two batches) and one T3 per reply.
        Assert.InRange(reads, Burst, Burst + 6);
        Assert.True(t3.Zip(t3.Skip(1)).All(p => p.Second >= p.First), "T3 goes back in a burst");
    }

    [Fact]
    public void AuthenticatedRepliesOfABatchAreAllProtectedBeforeTheFirstT3()
    {
        // Mode 2 protects octets 0-15 only, T3 (16-23) is in clear (RFC 5357 §4.2.1): every reply of a batch can be
        // protected before any T3 is read, so no protection runs between a reply's T3 and its send. Logged through
        // the SHA-1 compression the sessions' HMACs use (registered before they exist, as serve does at start).
        Assert.True(OpenSslSha1.IsAvailable, "OpenSSL's SHA1_Transform is needed to log the HMAC's compressions");
        var clock = new GatedClock();
        Assert.True(Sha1Acceleration.Use((state, blocks) => { clock.Log('s'); OpenSslSha1.Compress(state, blocks); }, "logging"));
        try
        {
            var (t3, _, _, _) = Reflect(0, measureLead: false, TestSecurity.Authenticated, clock);
            Assert.Equal(Burst + 1, t3.Length);
        }
        finally { TwampProbe.Cli.NativeCrypto.Enable(); }

        // One segment per batch (each starts with its monotonic read): its verifications and protections, then T3s
        // and sends, never a compression after a T3.
        var events = new string([.. clock.Events]);
        var batches = events.Split('m');
        Assert.Contains(batches, b => b.Count(c => c == 'u') > 2); // the burst came in one batch at least partly
        foreach (var b in batches)
        {
            int firstRead = b.IndexOf('u');
            Assert.True(firstRead < 0 || b.IndexOf('s', firstRead) < 0, $"a protection ran after a T3 in the batch \"{b}\"");
        }
    }
    /// <summary>A wall clock that adds <see cref="StepNs"/> at each read, and holds the reflector thread once at its next batch when armed.</summary>
    sealed class SteppingClock : IClock
    {
        public readonly ManualResetEventSlim Entered = new(), Release = new();
        public volatile bool Armed;
        public long StepNs;
        long _offset;

        static bool OnReflector => Thread.CurrentThread.Name?.StartsWith("reflector", StringComparison.Ordinal) == true;

        public long MonotonicNanoseconds
        {
            get
            {
                if (Armed && OnReflector)
                {
                    Armed = false;
                    Entered.Set();
                    Release.Wait(TimeSpan.FromSeconds(10));
                }
                return SystemClock.Instance.MonotonicNanoseconds;
            }
        }

        public long UnixNanoseconds => SystemClock.Instance.UnixNanoseconds + (OnReflector ? Interlocked.Add(ref _offset, Volatile.Read(ref StepNs)) : _offset);
    }

    [Fact]
    public void ASocketsRunsFollowItsOwnSendCostNotAnotherSockets()
    {
        // Socket A's sends look 100 µs each (the clock jumps 200 µs at every read, a sample is clamped to 100 µs). Then a
        // burst of 32 on socket B, whose sends cost what loopback costs (5-15 µs on the CI VM): with the bound at 60 µs
        // its replies share sendmmsg runs of 4-7, 9-11 sends for the burst here. Learned per thread, B's replies would
        // go alone, then in pairs, until A's 100 µs decays (an eighth per send) below the bound: 17-20 sends here.
        const long bound = 60_000;
        const int burst = ReflectorEngine.BatchSize - 1;
        var clock = new SteppingClock();
        using var state = new ClockState(TimeSpan.Zero);
        using var engine = new ReflectorEngine(state, new ReflectorOptions { Clock = clock, MeasureT3Lead = true, T3BatchBoundNs = bound, SocketBufferBytes = 1 << 20 });
        using var senderA = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { ReceiveBufferBytes = 1 << 20 });
        using var senderB = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { ReceiveBufferBytes = 1 << 20 });
        var layout = TestPacketLayout.Unauthenticated;
        ReflectorSocket Open(UdpTestSocket sender)
        {
            var rs = engine.Open(new IPEndPoint(IPAddress.Loopback, 0));
            var session = new ReflectorSession
            {
                Sid = new byte[16], Mode = TwampModes.Unauthenticated, Layout = layout, Sender = UdpPeer.From(sender.LocalEndPoint),
                Dscp = 0, TimeoutNs = 0, PaddingLength = (uint)layout.SymmetricPadding,
            };
            session.Start(SystemClock.Instance.MonotonicNanoseconds);
            Assert.True(rs.TryAdd(session));
            return rs;
        }
        var socketA = Open(senderA);
        var socketB = Open(senderB);
        var reflectorA = UdpPeer.From(socketA.LocalEndPoint);
        var reflectorB = UdpPeer.From(socketB.LocalEndPoint);
        using var batch = new PacketBatch(burst + 1, 256);
        void Fill(UdpPeer to)
        {
            for (int i = 0; i <= burst; i++)
            {
                var p = new SenderPacket(batch.Buffer(i), layout);
                p.ClearHeader();
                p.SequenceNumber = (uint)i;
                p.Timestamp = NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds());
                batch.Meta(i) = new PacketMeta { Length = layout.ReflectorHeader, Peer = to, TrafficClass = -1 };
            }
        }
        using var replies = new PacketBatch(burst + 1, 256);
        void Collect(UdpTestSocket sender, int expected)
        {
            int got = 0;
            for (long deadline = Environment.TickCount64 + 5000; got < expected && Environment.TickCount64 < deadline;) got += sender.Receive(replies, 200);
            Assert.Equal(expected, got);
        }

        Volatile.Write(ref clock.StepNs, 200_000);
        Fill(reflectorA);
        Assert.Equal(3, senderA.Send(batch, 0, 3));
        Collect(senderA, 3);
        Volatile.Write(ref clock.StepNs, 0);
        // The probe records a run after its sendmmsg returned, so after the replies may already be here.
        long[] RecordedRuns(int replies)
        {
            long[] runs;
            long deadline = Environment.TickCount64 + 5000;
            while ((runs = engine.T3Lead!.RunLengths()).Select((count, length) => count * length).Sum() < replies && Environment.TickCount64 < deadline)
                Thread.Sleep(5);
            return runs;
        }
        var before = RecordedRuns(3);
        Assert.Equal(100_000, socketA.SendNsPerDatagram); // every sample of A clamped to 100 µs
        Assert.Equal(ReflectorSocket.SendCostUnknown, socketB.SendNsPerDatagram);

        Fill(reflectorB);
        clock.Armed = true;
        Assert.Equal(1, senderB.Send(batch, 0, 1));
        Assert.True(clock.Entered.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal(burst, senderB.Send(batch, 1, burst)); // queued behind the held thread
        clock.Release.Set();
        Collect(senderB, burst + 1);

        var runs = RecordedRuns(3 + burst + 1).Zip(before, (after, b) => after - b).ToArray();
        Assert.Equal(burst + 1, runs.Select((count, length) => count * length).Sum());
        long sends = runs.Sum();
        Assert.Equal(100_000, socketA.SendNsPerDatagram); // B's cheap sends did not teach A anything
        Assert.InRange(socketB.SendNsPerDatagram, 0, 99_999);
        Assert.True(sends <= 15, $"socket B's {burst + 1} replies took {sends} sendmmsg calls; runs by length: {string.Join(",", runs)}");
    }
}
