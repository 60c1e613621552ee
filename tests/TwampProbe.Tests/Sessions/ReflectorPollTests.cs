using TwampProbe.Control;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Sessions;
using TwampProbe.Time;
using static TwampProbe.Tests.Support.TestTime;

namespace TwampProbe.Tests.Sessions;

/// <summary>
/// How the reflector thread waits (reflector-poll busy|epoll) and how it shares itself between
/// sessions, on real loopback UDP. Test ports: TestPorts.ReflectorPoll.
/// </summary>
public sealed class ReflectorPollTests
{
    static readonly int Low = TestPorts.ReflectorPoll.Low, High = TestPorts.ReflectorPoll.High; // the class's range: Support/TestPorts.cs

    static async Task<(ControlClient Client, int Port)> SessionAsync(TestServer server, int senderPort)
    {
        var (client, _, _) = await server.SetUpAsync(TwampModes.Unauthenticated);
        var answer = await client.RequestSessionAsync(TestServer.Request(senderPort), TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, answer.Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
        return (client, answer.Port);
    }

    /// <summary>A server whose reflector thread busy-polls, with one started session for a sender (TTL 64) of its own.</summary>
    sealed class BusySession : IDisposable
    {
        readonly TestServer _server;
        readonly TestSender _sender;
        readonly int _port;

        BusySession(TestServer server, TestSender sender, int port) => (_server, _sender, _port) = (server, sender, port);

        public static async Task<BusySession> StartAsync()
        {
            var server = new TestServer(Low, High, poll: ReflectorPollMode.Busy);
            var sender = new TestSender(ttl: 64);
            try
            {
                var (_, port) = await SessionAsync(server, sender.Port);
                return new BusySession(server, sender, port);
            }
            catch
            {
                sender.Dispose();
                server.Dispose();
                throw;
            }
        }

        public void Deconstruct(out TestServer server, out TestSender sender, out int port) => (server, sender, port) = (_server, _sender, _port);

        public void Dispose()
        {
            _sender.Dispose();
            _server.Dispose();
        }
    }

    [Fact]
    public async Task BusyPollingReflectsEveryPacketWithItsFields()
    {
        using var busy = await BusySession.StartAsync();
        var (server, sender, port) = busy;
        var layout = TestPacketLayout.Unauthenticated;

        for (uint i = 0; i < 50; i++)
        {
            var t1 = Now();
            sender.SendTo(TestSender.Packet(layout, 27, 1000 + i, t1), port);
            var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException($"no reply to packet {i}");
            var r = new ReflectorPacket(reply.Data, layout);
            Assert.Equal(i, r.SequenceNumber);
            Assert.Equal(1000 + i, r.SenderSequenceNumber);
            Assert.Equal(t1, r.SenderTimestamp);
            Assert.Equal(64, r.SenderTtl);
            Assert.True(r.Timestamp.Value >= r.ReceiveTimestamp.Value);
        }
        Assert.True(server.Engine.SocketCount <= ReflectorEngine.DirectPollLimit, "one session is read directly, without epoll");
        Assert.Equal(0, server.Engine.InternalErrors);
    }

    /// <summary>
    /// After a quiet spell busy polling reads one datagram, then whole batches again: a burst of 60
    /// back-to-back packets of different lengths all come back, whole and in order of their numbers.
    /// </summary>
    [Fact]
    public async Task BusyPollingReflectsABurstAfterAQuietSpellWhole()
    {
        using var busy = await BusySession.StartAsync();
        var (server, sender, port) = busy;
        var layout = TestPacketLayout.Unauthenticated;
        Thread.Sleep(50);

        const int burst = 60;
        for (uint i = 0; i < burst; i++) sender.SendTo(TestSender.Packet(layout, 27 + (int)i * 10, 500 + i, Now()), port);
        var seen = new HashSet<uint>();
        for (int i = 0; i < burst; i++)
        {
            var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException($"{seen.Count} of {burst} replies");
            var r = new ReflectorPacket(reply.Data, layout);
            uint n = r.SenderSequenceNumber - 500;
            Assert.InRange(n, 0u, (uint)burst - 1);
            // RFC 5357 §4.2.1: the reply is as long as the request (41 octets of header + the same padding).
            Assert.Equal(layout.SenderHeader + 27 + (int)n * 10, reply.Data.Length);
            Assert.True(seen.Add(n));
        }
        Assert.Equal(0, server.Engine.InternalErrors);
    }

    [Fact]
    public async Task BusyPollingServesMoreSocketsThanItReadsDirectly()
    {
        using var server = new TestServer(Low, High, poll: ReflectorPollMode.Busy);
        var senders = Enumerable.Range(0, ReflectorEngine.DirectPollLimit + 3).Select(_ => new TestSender()).ToList();
        try
        {
            var ports = new List<int>();
            foreach (var s in senders) ports.Add((await SessionAsync(server, s.Port)).Port);
            Assert.True(server.Engine.SocketCount > ReflectorEngine.DirectPollLimit);
            for (int round = 0; round < 3; round++)
                for (int i = 0; i < senders.Count; i++)
                {
                    senders[i].SendTo(TestSender.Packet(TestPacketLayout.Unauthenticated, 27, (uint)(round * 100 + i), Now()), ports[i]);
                    var reply = senders[i].Receive() ?? throw new Xunit.Sdk.XunitException($"session {i}: no reply in round {round}");
                    Assert.Equal((uint)(round * 100 + i), new ReflectorPacket(reply.Data, TestPacketLayout.Unauthenticated).SenderSequenceNumber);
                }
        }
        finally { foreach (var s in senders) s.Dispose(); }
    }

    [Theory]
    [InlineData(ReflectorPollMode.Busy)]
    [InlineData(ReflectorPollMode.Epoll)]
    public async Task SessionsAttachAndDetachWhileThePollerRuns(ReflectorPollMode poll)
    {
        using var server = new TestServer(Low, High, poll: poll);
        for (int k = 0; k < 5; k++)
        {
            using var sender = new TestSender();
            var (client, port) = await SessionAsync(server, sender.Port);
            Assert.Equal(1, server.Engine.SocketCount);
            sender.SendTo(TestSender.Packet(TestPacketLayout.Unauthenticated, 27, (uint)k, Now()), port);
            Assert.NotNull(sender.Receive());
            // The connection goes: its session is detached, and the reflector thread closes the socket.
            client.Dispose();
            WaitUntil(() => server.Engine.SocketCount == 0, $"round {k}: the session's socket was not closed");
            sender.SendTo(TestSender.Packet(TestPacketLayout.Unauthenticated, 27, 99, Now()), port);
            Assert.Null(sender.Receive(100));
        }
        Assert.Equal(0, server.Engine.InternalErrors);
    }

    /// <summary>Spinning and reflecting allocate nothing on the reflector thread (best of five windows, after a warm-up).</summary>
    [Fact]
    public async Task BusyPollingAllocatesNothingWhileSpinningOrReflecting()
    {
        using var busy = await BusySession.StartAsync();
        var (server, sender, port) = busy;
        var packet = TestSender.Packet(TestPacketLayout.Unauthenticated, 27, 0, Now());
        var reflector = UdpPeer.From(new IPEndPoint(IPAddress.Loopback, port));
        long best = long.MaxValue;
        for (int window = 0; window < 6; window++)
        {
            long before = server.Engine.ThreadAllocatedBytes;
            for (int i = 0; i < 200; i++)
            {
                sender.Socket.SendTo(packet, reflector, -1);
                Assert.True(sender.Socket.Receive(sender.Batch, 1000) > 0, "no reply");
            }
            Thread.Sleep(20); // idle rounds too
            long delta = server.Engine.ThreadAllocatedBytes - before;
            if (window > 0) best = Math.Min(best, delta); // the first window warms up
        }
        Assert.Equal(0, best);
    }

    [Fact]
    public void BusyPollingThreadStopsWhenTheEngineIsDisposed()
    {
        using var clock = new ClockState(TimeSpan.Zero);
        var engine = new ReflectorEngine(clock, new ReflectorOptions { SocketBufferBytes = 1 << 16, Poll = ReflectorPollMode.Busy });
        engine.Open(new IPEndPoint(IPAddress.Loopback, 0), new LightReflector([]));
        WaitUntil(() => engine.ThreadAlive, "the reflector thread did not start");
        engine.Dispose();
        Assert.False(engine.ThreadAlive, "the busy-polling thread ignored the stop request");
    }

    /// <summary>
    /// One session is flooded (thousands of packets queued at once); another sends one packet in the
    /// middle of it. Its reply must not wait for the flood to be drained: at most a few batches of the
    /// flooded session are reflected between its arrival and its reply (each ready socket gets one
    /// batch per round), not the whole backlog. Ordered by the kernel's receive timestamps of the replies.
    /// </summary>
    [Theory]
    [InlineData(ReflectorPollMode.Epoll)]
    [InlineData(ReflectorPollMode.Busy)]
    public async Task FloodedSessionDoesNotStarveAQuietOne(ReflectorPollMode poll)
    {
        using var server = new TestServer(Low, High, poll: poll);
        using var flood = new Flow();
        using var quiet = new Flow();
        var (_, floodPort) = await SessionAsync(server, flood.Port);
        var (_, quietPort) = await SessionAsync(server, quiet.Port);

        const int FloodPackets = 4000;
        for (int sent = 0; sent < FloodPackets; sent += Flow.Slots) flood.Send(floodPort, (uint)sent, Flow.Slots);
        long quietSentNs = RealtimeClock.UnixNanoseconds();
        quiet.Send(quietPort, 0, 1);

        long quietReplyNs = quiet.ReceiveOne(5000) ?? throw new Xunit.Sdk.XunitException("the quiet session got no reply");
        var floodReplies = flood.ReceiveAll(1000);
        Assert.True(floodReplies.Count > 1000, $"only {floodReplies.Count} flood replies: the flood did not build up");
        int before = floodReplies.Count(t => t > quietSentNs && t < quietReplyNs);
        int backlog = floodReplies.Count(t => t > quietSentNs);
        Assert.True(before <= 8 * ReflectorEngine.BatchSize,
            $"{before} flood replies (of {backlog} still to come when it arrived) went out before the quiet session's one reply");
    }

    /// <summary>A sender on loopback with kernel RX timestamps and room for thousands of replies.</summary>
    sealed class Flow : IDisposable
    {
        public const int Slots = 64;
        readonly UdpTestSocket _socket = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions
        {
            ReceiveTimestamps = true, ReceiveTtl = false, ReceiveTrafficClass = false,
            ReceiveBufferBytes = 16 << 20, SendBufferBytes = 16 << 20, DualStack = false,
        });
        readonly PacketBatch _batch = new(Slots, 256);

        public int Port => _socket.LocalEndPoint.Port;

        public void Send(int port, uint firstSequence, int count)
        {
            var peer = UdpPeer.From(new IPEndPoint(IPAddress.Loopback, port));
            var layout = TestPacketLayout.Unauthenticated;
            for (int i = 0; i < count; i++)
            {
                var buffer = _batch.Buffer(i)[..layout.ReflectorHeader];
                TestSender.Fill(buffer, layout, firstSequence + (uint)i, Now());
                ref var meta = ref _batch.Meta(i);
                meta.Length = layout.ReflectorHeader;
                meta.Peer = peer;
                meta.TrafficClass = -1;
            }
            Assert.Equal(count, _socket.Send(_batch, count));
        }

        /// <summary>The kernel RX timestamp of one reply, or null when none came in <paramref name="timeoutMs"/>.</summary>
        public long? ReceiveOne(int timeoutMs) => _socket.Receive(_batch, timeoutMs) > 0 ? _batch.Meta(0).UnixNanoseconds : null;

        /// <summary>Kernel RX timestamps of the replies, until none came for <paramref name="quietMs"/>.</summary>
        public List<long> ReceiveAll(int quietMs)
        {
            var stamps = new List<long>();
            while (true)
            {
                int n = _socket.Receive(_batch, quietMs);
                if (n == 0) return stamps;
                for (int i = 0; i < n; i++) stamps.Add(_batch.Meta(i).UnixNanoseconds);
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            _batch.Dispose();
        }
    }
}
