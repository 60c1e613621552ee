using System.Buffers.Binary;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using static TwampProbe.Tests.Owamp.OwampServerHarness;
using static TwampProbe.Tests.Support.OwampSessions;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// A peer that violates RFC 4656 on purpose, over real loopback sockets: absurd numbers in
/// Request-Session, Fetch-Session and Stop-Sessions, hang-ups mid-message, sessions that never carry a
/// packet. Each time the peer gets the right answer or only its own connection is closed, and the
/// server keeps serving everyone else.
/// </summary>
public class OwampHostilePeerTests
{
    /// <summary>This class's test ports (Support/TestPorts.cs); each server takes 50 from Low + its offset.</summary>
    static readonly TestPorts.Range Ports = TestPorts.OwampHostilePeer;

    static readonly NtpTimestamp MaxInterval = new(ulong.MaxValue);

    /// <summary>Another client is still served: a receive session is accepted and its request answered.</summary>
    static async Task AssertStillServedAsync(OwampServerHarness h)
    {
        using var other = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, (await other.RequestAsync(Request(serverReceives: true, 5, TimeSpan.FromMilliseconds(1)))).Accept);
    }

    [Theory]
    [InlineData(TwampModes.Unauthenticated)]
    [InlineData(TwampModes.Authenticated)]
    [InlineData(TwampModes.Encrypted)]
    public async Task ARefusedFetchLeavesTheConnectionOpen(TwampModes mode)
    {
        await using var h = new OwampServerHarness(Ports.Low + (int)mode);
        using var client = await h.ConnectAsync(mode);
        Assert.Equal(FetchAck.Reject(AcceptCode.Failure), (await client.FetchAsync(FetchSession.Complete(new byte[16]))).Ack);
        // RFC 4656 §3.9: a Fetch-Ack with Accept ≠ 0 ends the exchange; the connection goes on.
        Assert.False(await client.ClosedByServerAsync(seconds: 2));
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 5, TimeSpan.FromMilliseconds(1)))).Accept);
    }

    [Fact]
    public async Task HangingUpInsideARequestAnnouncing4GSlotsAffectsOnlyThatConnection()
    {
        await using var h = new OwampServerHarness(Ports.Low + 10);
        using (var client = await h.ConnectAsync())
        {
            var preamble = new byte[RequestSession.PreambleSize];
            Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1)).WritePreamble(preamble);
            BinaryPrimitives.WriteUInt32BigEndian(preamble.AsSpan(4), uint.MaxValue);
            await client.Channel.WriteClearAsync(preamble, OwampTestClient.Timeout());
            await client.Channel.WriteClearAsync(new byte[64 * 1024], OwampTestClient.Timeout());
        }
        await AssertStillServedAsync(h);
    }

    [Fact]
    public async Task FetchWithBeginAboveEndOrAHugeRangeIsServedWithinTheRecordsKept()
    {
        await using var h = new OwampServerHarness(Ports.Low + 20);
        using var client = await h.ConnectAsync();
        // Scheduled a second ago: all four are lost, none falls in the last Timeout before Stop-Sessions (§3.8).
        var request = Request(serverReceives: true, 4, TimeSpan.FromMilliseconds(1), startIn: TimeSpan.FromSeconds(-1), timeoutSeconds: 0.05);
        var accept = await client.RequestAsync(request);
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(accept.Sid, 4, []));
        await client.ReadStopAsync();
        var (backwards, none) = await client.FetchAsync(new FetchSession(3, 1, accept.Sid));
        Assert.Equal((AcceptCode.Ok, 0u), (backwards.Accept, backwards.Records));
        Assert.Empty(none!.Records);
        var (huge, all) = await client.FetchAsync(new FetchSession(1, uint.MaxValue, accept.Sid));
        Assert.Equal([1u, 2u, 3u], all!.Records.Select(r => r.SequenceNumber).Order());
        Assert.Equal(3u, huge.Records);
    }

    [Fact]
    public async Task OverlappingSkipRangesInStopSessionsMakeTheResultsInvalidNotTheServerFail()
    {
        await using var h = new OwampServerHarness(Ports.Low + 30);
        using var client = await h.ConnectAsync();
        var accept = await client.RequestAsync(Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1), startIn: TimeSpan.Zero, timeoutSeconds: 0.05));
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(accept.Sid, 10, [new SkipRange(5, 8), new SkipRange(2, 6), new SkipRange(9, uint.MaxValue)]));
        Assert.Empty((await client.ReadStopAsync()).Sessions);
        // RFC 4656 §3.9: a session that did not terminate normally: its complete fetch MUST be denied.
        Assert.Equal(AcceptCode.Failure, (await client.FetchAsync(FetchSession.Complete(accept.Sid))).Ack.Accept);
        Assert.Equal(AcceptCode.Ok, (await client.FetchAsync(new FetchSession(0, 9, accept.Sid))).Ack.Accept);
    }

    [Fact]
    public async Task AbsurdTimeoutAndStartTimeAreServedAndStoppable()
    {
        await using var h = new OwampServerHarness(Ports.Low + 40);
        using var client = await h.ConnectAsync();
        // Timeout 2^32 s, Start Time NTP 0 (which is 2036), an exponential mean of 0 for the server's sender.
        var receive = Request(serverReceives: true, 3, TimeSpan.FromMilliseconds(1)) with { Timeout = MaxInterval, StartTime = default };
        var r = await client.RequestAsync(receive);
        Assert.Equal(AcceptCode.Ok, r.Accept);
        using var sink = Sink();
        var send = Request(serverReceives: false, 50, TimeSpan.Zero, port: sink.Port()) with
        {
            Timeout = MaxInterval,
            Slots = [ScheduleSlot.Exponential(TimeSpan.Zero)],
        };
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(send)).Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(r.Sid, 0, []));
        var stop = await client.ReadStopAsync();
        Assert.Single(stop.Sessions);
        Assert.Equal(AcceptCode.Ok, (await client.FetchAsync(FetchSession.Complete(r.Sid))).Ack.Accept);
    }

    [Fact]
    public async Task ASessionThatNeverCarriesAPacketDoesNotHoldAnIdleConnectionForever()
    {
        // A receive session whose Start Time is a day ahead and whose Timeout is 2^32 s: without a bound
        // the engine "runs" for decades, SERVWAIT stays suspended and the connection can never be evicted.
        await using var h = new OwampServerHarness(Ports.Low + 50, l => l with { ServWait = TimeSpan.FromSeconds(1), RefWait = TimeSpan.FromSeconds(1) });
        using var client = await h.ConnectAsync();
        var request = Request(serverReceives: true, 5, TimeSpan.FromSeconds(1), startIn: TimeSpan.FromDays(1)) with { Timeout = MaxInterval };
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(request)).Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        Assert.True(await client.ClosedByServerAsync(seconds: 8));
        await AssertStillServedAsync(h);
    }

    [Fact]
    public async Task ASessionThatEndedWithFewRecordsGivesBackTheRestOfItsReservation()
    {
        // 90 packets reserve 90 + 90/16 + 4 = 99 of 100 records. The peer hangs up before Start-Sessions:
        // its results (no record) are kept for owamp-keep-results, but must not hold 99 records that long.
        await using var h = new OwampServerHarness(Ports.Low + 60, l => l with { OwampMaxRecords = 100 });
        using (var hog = await h.ConnectAsync())
            Assert.Equal(AcceptCode.Ok, (await hog.RequestAsync(Request(serverReceives: true, 90, TimeSpan.FromMilliseconds(1)))).Accept);
        using var client = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, await RequestUntilOkAsync(client, () => Request(serverReceives: true, 60, TimeSpan.FromMilliseconds(1))));
    }

    [Fact]
    public async Task ScheduleSlotsAreChargedToTheResultsBudget()
    {
        // One packet and 900 slots: the slots are kept with the results (the reproduction of §3.9) for
        // owamp-keep-results, so a peer must not be able to park any number of them for free.
        await using var h = new OwampServerHarness(Ports.Low + 70, l => l with { OwampMaxRecords = 1000, OwampMaxRecordsPerSession = 1000 });
        using var client = await h.ConnectAsync();
        var request = Request(serverReceives: true, 1, TimeSpan.FromMilliseconds(1)) with
        {
            Slots = [.. Enumerable.Repeat(ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(1)), 900)],
        };
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(request)).Accept);
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await client.RequestAsync(request)).Accept);
    }

    [Fact]
    public async Task TheSlotsOfSendSessionsAreChargedWhileTheyLive()
    {
        // Send sessions keep no records, but their schedules live as long as they do: 100 000 slots are
        // 1.6 MB, and hundreds of such sessions would cost gigabytes with no limit.
        await using var h = new OwampServerHarness(Ports.Low + 80, l => l with { OwampMaxRecords = 1000, OwampMaxRecordsPerSession = 1000 });
        using var client = await h.ConnectAsync();
        var request = Request(serverReceives: false, 1, TimeSpan.FromMilliseconds(1), port: 9) with
        {
            Slots = [.. Enumerable.Repeat(ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(1)), 900)],
        };
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(request)).Accept);
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await client.RequestAsync(request)).Accept);
        // Released with the connection: another client can have them.
        client.Dispose();
        using var other = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, await RequestUntilOkAsync(other, () => request));
    }
}
