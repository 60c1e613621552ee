using TwampProbe.Config;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Sessions;
using TwampProbe.Time;
using static TwampProbe.Tests.Support.TestTime;

namespace TwampProbe.Tests.Sessions;

/// <summary>reflector-threads N: sessions spread over N engines, each serving its own. Test ports: TestPorts.ReflectorPool.</summary>
public sealed class ReflectorPoolTests
{
    static readonly int Low = TestPorts.ReflectorPool.Low, High = TestPorts.ReflectorPool.High; // the class's range: Support/TestPorts.cs

    [Theory]
    [InlineData(ReflectorPollMode.Epoll)]
    [InlineData(ReflectorPollMode.Busy)]
    public async Task SessionsAreSpreadOverTheThreadsAndEachThreadReflects(ReflectorPollMode poll)
    {
        using var server = new TestServer(Low, High, poll: poll, threads: 2);
        var senders = Enumerable.Range(0, 6).Select(_ => new TestSender()).ToList();
        try
        {
            var (client, _, _) = await server.SetUpAsync(TwampModes.Unauthenticated);
            var ports = new List<int>();
            foreach (var s in senders)
            {
                var answer = await client.RequestSessionAsync(TestServer.Request(s.Port), TestServer.Timeout());
                Assert.Equal(AcceptCode.Ok, answer.Accept);
                ports.Add(answer.Port);
            }
            Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
            // Least-loaded placement: three sockets each.
            Assert.Equal([3, 3], server.Pool.Engines.Select(e => e.SocketCount));

            for (int i = 0; i < senders.Count; i++)
            {
                senders[i].SendTo(TestSender.Packet(TestPacketLayout.Unauthenticated, 27, (uint)i, Now()), ports[i]);
                var reply = senders[i].Receive() ?? throw new Xunit.Sdk.XunitException($"session {i}: no reply");
                Assert.Equal((uint)i, new ReflectorPacket(reply.Data, TestPacketLayout.Unauthenticated).SenderSequenceNumber);
            }
            WaitUntil(() => server.Pool.Engines.All(e => e.Reflected == 3), "each thread reflects its own three sessions");
            Assert.Equal(6, server.Pool.Reflected);

            // Detaching goes to the owner: every thread closes its own sockets.
            client.Dispose();
            WaitUntil(() => server.Pool.SocketCount == 0, "sockets left open after the connection closed");
            Assert.Equal(0, server.Pool.InternalErrors);
        }
        finally { foreach (var s in senders) s.Dispose(); }
    }

    [Fact]
    public void SharedSocketsStayOnTheFirstThread()
    {
        using var clock = new ClockState(TimeSpan.Zero);
        using var pool = new ReflectorPool(clock, new ReflectorOptions { SocketBufferBytes = 1 << 16 }, threads: 3);
        var any = new IPEndPoint(IPAddress.Loopback, 0);
        var first = pool.Open(any);
        var light = pool.Open(any, new LightReflector([AddressPrefix.Parse("127.0.0.0/8")]));
        var wellKnown = pool.Open(any, persistent: true);
        var second = pool.Open(any);
        var third = pool.Open(any);

        Assert.Same(pool.Engines[0], first.Owner);
        Assert.Same(pool.Engines[0], light.Owner);
        Assert.Same(pool.Engines[0], wellKnown.Owner);
        Assert.Same(pool.Engines[1], second.Owner);
        Assert.Same(pool.Engines[2], third.Owner);
        Assert.Same(third, pool.FindSocket(third.LocalEndPoint));
    }

    [Fact]
    public void ThreadIIsNamedAndPinnedToReflectorCpuPlusI()
    {
        if (Environment.ProcessorCount < 2) return; // one CPU: nothing to spread over
        using var clock = new ClockState(TimeSpan.Zero);
        using var pool = new ReflectorPool(clock, new ReflectorOptions { SocketBufferBytes = 1 << 16, Cpu = 0 }, threads: 2);
        string? allowed = null;
        WaitUntil(() => (allowed = CpusAllowed("reflector-1")) == "1", $"reflector-1 runs on CPUs '{allowed}', not 1");
        Assert.NotNull(CpusAllowed("reflector"));
    }

    static string? CpusAllowed(string threadName)
    {
        foreach (var dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() != threadName) continue;
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                    if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)) return line[18..].Trim();
            }
            catch (IOException) { }
        }
        return null;
    }
}
