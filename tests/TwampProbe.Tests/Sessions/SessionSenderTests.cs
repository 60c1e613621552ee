using System.Diagnostics;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Sessions;

/// <summary>Rate- and schedule-sensitive: not run alongside the other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SenderTimingCollection
{
    public const string Name = "sender timing";
}

/// <summary>The Session-Sender against a real reflector on loopback. Test ports: TestPorts.SessionSender.</summary>
[Collection(SenderTimingCollection.Name)]
public sealed class SessionSenderTests : IDisposable
{
    static readonly int Low = TestPorts.SessionSender.Low, High = TestPorts.SessionSender.High; // the class's range: Support/TestPorts.cs
    readonly TestServer _server = new(Low, High);

    public void Dispose() => _server.Dispose();

    /// <summary>One session in <paramref name="mode"/> against the test server, run to its end: set up, request, start, send, stop.</summary>
    async Task<SessionSender> RunSessionAsync(TwampModes mode, SenderOptions options)
    {
        var (client, _, _) = await _server.SetUpAsync(mode);
        var sender = new SessionSender(IPAddress.Loopback, options, _server.Clock);
        try
        {
            var accept = await client.RequestSessionAsync(
                TestServer.Request(sender.LocalEndPoint.Port, padding: (uint)sender.PaddingLength, timeoutSeconds: 2), TestServer.Timeout());
            Assert.Equal(AcceptCode.Ok, accept.Accept);
            sender.Target(new IPEndPoint(IPAddress.Loopback, accept.Port), client.Keys, accept.Sid);
            Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
            await Task.Run(() => sender.Run(TestServer.Timeout(30)));
            await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
            return sender;
        }
        catch
        {
            sender.Dispose();
            throw;
        }
    }

    /// <summary>
    /// 10 000 packets/s in modes 2 and 4: the send loop (HMAC + AES per packet) and the receive thread
    /// (decrypt + HMAC check per reply) run at the same time. Sharing one TestPacketCrypto between
    /// them corrupted packets or aborted the process (Cryptography_ConcurrentUseNotSupported).
    /// </summary>
    [Theory]
    [InlineData(TwampModes.Authenticated)]
    [InlineData(TwampModes.Encrypted)]
    public async Task ProtectedSessionAtTenThousandPacketsPerSecondLosesNothing(TwampModes mode)
    {
        const int count = 3000, iterations = 3;
        for (int run = 0; run < iterations; run++)
        {
            using var sender = await RunSessionAsync(mode, new SenderOptions
            {
                Count = count, Interval = TimeSpan.FromTicks(1000), LossTimeout = TimeSpan.FromSeconds(1),
                Security = mode.TestSecurity(),
            });
            var st = sender.Statistics;
            Assert.Equal(count, st.PacketsSent);
            Assert.Equal(0, st.Invalid);
            Assert.Equal(0, st.Duplicates);
            // The race shows as invalid replies or a crash; loss here only tells the session really ran
            // (a loaded 2-core machine drops some at 10k/s in one process; the e2e test holds loss to 1 %).
            Assert.True(st.PacketsReceived >= count / 2, $"run {run}: {st.PacketsReceived} of {count} received");
        }
    }

    [Fact]
    public async Task EveryReplyOnLoopbackHasItsTxTimestamp()
    {
        // On loopback a reply can be in before the sender's sendmsg has returned. The send index of that packet was
        // published only after the return, so its TX timestamp was not found, and the whole session fell back to T1
        // (in 13 of 15 runs of 200 packets on the CI VM, with 2-86 % of replies missing a stamp).
        const int count = 500;
        using var sender = await RunSessionAsync(TwampModes.Unauthenticated, new SenderOptions
        {
            Count = count, Interval = TimeSpan.FromMilliseconds(1), LossTimeout = TimeSpan.FromSeconds(1),
        });
        var st = sender.Statistics;
        Assert.True(st.PacketsReceived >= count * 9 / 10, $"{st.PacketsReceived} of {count} received");
        Assert.True(st.DeparturesFromTransmitTimestamps, $"{st.WithoutTransmitTimestamp} of {st.PacketsReceived} replies have no TX timestamp");
    }

    [Fact]
    public void RunWithoutTargetInAuthenticatedModeRefusesToSendUnprotected()
    {
        using var sender = new SessionSender(IPAddress.Loopback, new SenderOptions { Count = 1, Security = TestSecurity.Authenticated }, _server.Clock);
        Assert.Throws<InvalidOperationException>(() => sender.Run(CancellationToken.None));
    }

    [Fact]
    public async Task WallClockStepsForwardAndBackDoNotMoveTheSchedule()
    {
        const int count = 100;
        const long intervalMs = 10;
        using var reflector = new FakeReflector();
        var clock = new SteppingClock();
        var sender = new SessionSender(IPAddress.Loopback, new SenderOptions
        {
            Count = count, Interval = TimeSpan.FromMilliseconds(intervalMs), LossTimeout = TimeSpan.FromMilliseconds(300),
        }, _server.Clock, time: clock);
        sender.Target(reflector.EndPoint, null, default, light: true);

        var sw = Stopwatch.StartNew();
        var run = Task.Run(() => sender.Run(CancellationToken.None));
        // NTP steps the wall clock an hour forward a third of the way in, then two hours back.
        var steps = Task.Factory.StartNew(() =>
        {
            while (sender.Statistics.PacketsSent < count / 3 && !run.IsCompleted) Thread.Sleep(1);
            clock.StepWallClock(TimeSpan.FromHours(1));
            while (sender.Statistics.PacketsSent < 2 * count / 3 && !run.IsCompleted) Thread.Sleep(1);
            clock.StepWallClock(TimeSpan.FromHours(-2));
        }, TaskCreationOptions.LongRunning);
        try
        {
            // On the wall clock the schedule would burst at +1 h and then sleep for an hour.
            Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10))) == run,
                $"the sender did not finish: {sender.Statistics.PacketsSent} of {count} sent");
        }
        finally
        {
            if (run.IsCompleted) sender.Dispose(); // never under the sender's threads
        }
        var elapsed = sw.Elapsed;
        await steps;

        Assert.Equal(count, sender.Statistics.PacketsSent);
        Assert.Equal(count, sender.Statistics.PacketsReceived);
        // The steps did happen mid-run, and went into the timestamps (T1) as they should: T1 ends an hour
        // behind where it started, through jumps between consecutive packets (one of +1 h and one of
        // −2 h; or one of −1 h when a loaded machine lets both steps fall between the same two
        // packets). Not against T4: while the kernel is still turning RX timestamping on, T4 comes
        // from the same stepped clock.
        var t1 = sender.Statistics.Samples.OrderBy(s => s.SenderSequence).Select(s => s.T1).ToArray();
        var jumps = t1.Zip(t1.Skip(1), (a, b) => b - a).ToArray();
        Assert.True(jumps.Any(d => Math.Abs(d) > 3_000_000_000_000), $"no step in T1: jumps within [{jumps.Min()}, {jumps.Max()}] ns");
        Assert.InRange(t1[^1] - t1[0], -3_600_000_000_000 - 2_000_000_000L, -3_600_000_000_000 + 2_000_000_000L);
        // Ends on time: (count − 1) intervals, then the loss timeout.
        Assert.InRange(elapsed.TotalMilliseconds, (count - 1) * intervalMs + 300, (count - 1) * intervalMs + 300 + 2000);
        var arrivals = reflector.Arrivals;
        Assert.Equal(count, arrivals.Length);
        // Lateness of each packet against the schedule, taking the least late one as on time.
        var late = arrivals.Select(a => a.Ticks * 1000.0 / Stopwatch.Frequency - a.Seq * intervalMs).ToArray();
        double onTime = late.Min();
        foreach (var (seq, ticks) in arrivals)
        {
            double atMs = ticks * 1000.0 / Stopwatch.Frequency - onTime;
            // A burst after the forward step or a stall after the backward step shows as lateness here.
            // (A forward-step burst would make the early packets ~600 ms late against the burst.)
            Assert.InRange(atMs, seq * intervalMs, seq * intervalMs + 250);
        }
    }

    /// <summary>
    /// The sender's cost counts its work, not its waiting: 20 packets 20 ms apart take ~400 ms, of which
    /// the send loop works some microseconds per packet (it spins the last 200 µs before each: its thread
    /// CPU time would be far more). The receive thread's CPU and the datagrams it read are counted too.
    /// </summary>
    [Fact]
    public void CostCountsTheSendWorkAndTheReceiveThreadButNotTheWaiting()
    {
        const int count = 20;
        using var reflector = new FakeReflector();
        using var sender = new SessionSender(IPAddress.Loopback, new SenderOptions
        {
            Count = count, Interval = TimeSpan.FromMilliseconds(20), LossTimeout = TimeSpan.FromMilliseconds(200),
        }, _server.Clock);
        sender.Target(reflector.EndPoint, null, default, light: true);

        var sw = Stopwatch.StartNew();
        sender.Run(CancellationToken.None);
        long wallNs = (long)sw.Elapsed.TotalNanoseconds;

        var cost = sender.Cost;
        Assert.Equal(count, cost.PacketsSent);
        Assert.Equal(count, cost.RepliesHandled);
        Assert.InRange(cost.SendBusyNs, 1, (count - 1) * 20_000_000L / 4);
        Assert.InRange(cost.ReceiveCpuNs, 1, wallNs);
        Assert.Equal(cost.SendBusyNs / (double)count, cost.SendNsPerPacket, 6);
        Assert.Equal(cost.ReceiveCpuNs / (double)count, cost.ReceiveNsPerReply, 6);
    }
}
