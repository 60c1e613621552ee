using TwampProbe.Owamp.Test;
using TwampProbe.Time;
using TwampProbe.Protocol.Wire.Owamp.Control;
using static TwampProbe.Tests.Owamp.OwampServerHarness;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// The OWAMP server over real loopback sockets: both directions in every mode, Stop-Sessions from
/// either side with Next Seqno and skip ranges, and Fetch-Session of what the server received.
/// </summary>
public class OwampServerSessionTests
{
    /// <summary>This class's test ports (Support/TestPorts.cs); each server takes 50 from Low + its offset.</summary>
    static readonly TestPorts.Range Ports = TestPorts.OwampServerSession;

    static readonly ClockState Clock = new(TimeSpan.Zero);

    public static TheoryData<TwampModes> Modes => new() { TwampModes.Unauthenticated, TwampModes.Authenticated, TwampModes.Encrypted };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ServerReceivesStoresAndReturnsEveryRecordOnFetch(TwampModes mode)
    {
        await using var h = new OwampServerHarness(Ports.Low + 50 * (int)Math.Log2((int)mode));
        using var client = await h.ConnectAsync(mode);
        var request = Request(serverReceives: true, packets: 20, TimeSpan.FromMilliseconds(5));
        // The client's sender binds first, so that its port goes into the request.
        var spec0 = Spec(request, new byte[16], mode, client.Keys);
        var accept = await client.RequestAsync(request with { SenderPort = 0 });
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        Assert.InRange(accept.Port, Ports.Low, Ports.High);
        Assert.Equal(IPAddress.Loopback.GetAddressBytes(), accept.Sid[..4]);

        using var sender = new OwampTestSender(spec0 with { Sid = accept.Sid }, new IPEndPoint(IPAddress.Loopback, 0), Clock);
        sender.Target(new IPEndPoint(IPAddress.Loopback, accept.Port));
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        sender.Run(OwampTestClient.Timeout());
        Assert.Equal(20u, sender.NextSeqno);
        await Task.Delay(350); // the Timeout after the last packet: the session is complete
        await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(accept.Sid, sender.NextSeqno, []));
        var serverStop = await client.ReadStopAsync();
        Assert.Equal(AcceptCode.Ok, serverStop.Accept);
        Assert.Empty(serverStop.Sessions); // the server sends nothing in this measurement

        var (ack, data) = await client.FetchAsync(FetchSession.Complete(accept.Sid));
        Assert.Equal(new FetchAck(AcceptCode.Ok, true, 20, 0, 20), ack);
        Assert.NotNull(data);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (uint)i), data.Records.Select(r => r.SequenceNumber));
        Assert.All(data.Records, r => Assert.False(r.IsLost));
        Assert.All(data.Records, r => Assert.True(r.ReceiveTimestamp.Value >= r.SendTimestamp.Value));
        Assert.All(data.Records, r => Assert.Equal(255, r.Ttl));
        // The reproduction: the request with the SID the server chose and the port it received on.
        Assert.Equal(accept.Sid, data.Request.Sid);
        Assert.Equal(accept.Port, data.Request.ReceiverPort);
        Assert.Equal((byte)1, data.Request.ConfReceiver);
        Assert.Equal(request.Slots, data.Request.Slots);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ServerSendsOnTheScheduleAndStopsFirstOnceComplete(TwampModes mode)
    {
        await using var h = new OwampServerHarness(Ports.Low + 150 + 20 * (int)Math.Log2((int)mode));
        using var client = await h.ConnectAsync(mode);
        var probe = Request(serverReceives: false, packets: 20, TimeSpan.FromMilliseconds(5));
        using var receiver = new OwampTestReceiver(Spec(probe, probe.Sid, mode, client.Keys), new IPEndPoint(IPAddress.Loopback, 0), Clock, 100);
        var request = probe with { ReceiverPort = (ushort)receiver.LocalEndPoint.Port };
        var accept = await client.RequestAsync(request);
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        Assert.Equal(request.Sid, accept.Sid); // the receiver (the client) chose it
        receiver.ExpectFrom(new IPEndPoint(IPAddress.Loopback, accept.Port));
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        // A thread of its own, as the client's receiver has: not a pool thread that may come too late.
        var rx = Task.Factory.StartNew(() => receiver.Run(OwampTestClient.Timeout()), TaskCreationOptions.LongRunning);

        // RFC 4656 §3.8: the server waits until its session is complete, then stops first.
        var stop = await client.ReadStopAsync();
        var record = Assert.Single(stop.Sessions);
        Assert.Equal(request.Sid, record.Sid);
        Assert.Equal(20u, record.NextSeqno);
        await rx;
        // Every packet is accounted for: it arrived, or the server reports it in a skip range and never sent
        // it, or it left with a send timestamp more than Timeout old and the receiver discarded it. None of
        // these may be assumed away on a loaded host (2 CPUs, parallel test assemblies, load average > 9):
        // the server's send thread has been seen held up for longer than the Timeout (0.3 s) mid-session.
        // Then a packet more than Timeout past its slot "MUST NOT" be sent (RFC 4656 §4.1.1: skips 1-19,
        // 10-19 were seen), and a packet whose timestamp was taken before the hold-up "MUST be discarded"
        // (§4.2). Mode 4 is where this shows: its timestamp is taken before the packet is encrypted and
        // authenticated (§4.1.2), and in this JIT-compiled test process it is the first case to run that
        // crypto, so the send thread can stall inside it between the timestamp and the send.
        var skipped = record.SkipRanges.SelectMany(r => Enumerable.Range((int)r.First, (int)(r.Last - r.First + 1))).Select(i => (uint)i).ToHashSet();
        var result = receiver.Complete(record.NextSeqno, record.SkipRanges);
        Assert.True(result.Valid, result.Invalid);
        long outOfTime = receiver.Dropped(OwampDropReason.OutOfTime);
        Assert.True(receiver.DroppedTotal == outOfTime, $"dropped {receiver.DroppedTotal}, {outOfTime} of them out of time");
        Assert.Equal(outOfTime, result.Lost);
        var arrived = result.Records.Where(r => !r.IsLost).Select(r => r.SequenceNumber).ToHashSet();
        Assert.Equal(20 - skipped.Count, arrived.Count + outOfTime);
        Assert.Empty(arrived.Intersect(skipped));
        await client.StopAsync(AcceptCode.Ok);
        // Measurement over: a new Request-Session is served again.
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 1, TimeSpan.Zero))).Accept);
    }

    [Fact]
    public async Task BothDirectionsAtOnceLikeOwping()
    {
        await using var h = new OwampServerHarness(Ports.Low + 220);
        using var client = await h.ConnectAsync(TwampModes.Authenticated);
        var toServer = Request(serverReceives: true, 15, TimeSpan.FromMilliseconds(5));
        var fromServer = Request(serverReceives: false, 15, TimeSpan.FromMilliseconds(5)) with { StartTime = toServer.StartTime };
        using var receiver = new OwampTestReceiver(Spec(fromServer, fromServer.Sid, TwampModes.Authenticated, client.Keys), new IPEndPoint(IPAddress.Loopback, 0), Clock, 100);
        var toAccept = await client.RequestAsync(toServer);
        var fromAccept = await client.RequestAsync(fromServer with { ReceiverPort = (ushort)receiver.LocalEndPoint.Port });
        Assert.Equal((AcceptCode.Ok, AcceptCode.Ok), (toAccept.Accept, fromAccept.Accept));
        using var sender = new OwampTestSender(Spec(toServer, toAccept.Sid, TwampModes.Authenticated, client.Keys), new IPEndPoint(IPAddress.Loopback, 0), Clock);
        sender.Target(new IPEndPoint(IPAddress.Loopback, toAccept.Port));
        receiver.ExpectFrom(new IPEndPoint(IPAddress.Loopback, fromAccept.Port));
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        var rx = Task.Run(() => receiver.Run(OwampTestClient.Timeout()));
        sender.Run(OwampTestClient.Timeout());
        await rx;
        // The client stops first here (as in owamp_O/A); the server answers with its send session.
        await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(toAccept.Sid, sender.NextSeqno, []));
        var stop = await client.ReadStopAsync();
        Assert.Equal(15u, Assert.Single(stop.Sessions).NextSeqno);
        Assert.Equal(15, receiver.Complete(15, []).Records.Count(r => !r.IsLost));
        var (ack, data) = await client.FetchAsync(FetchSession.Complete(toAccept.Sid));
        Assert.Equal((AcceptCode.Ok, 15u), (ack.Accept, ack.Records));
        Assert.Equal(15, data!.Records.Count(r => !r.IsLost));
    }

    [Fact]
    public async Task StartTimeFurtherInThePastThanTimeoutBecomesASkipRange()
    {
        await using var h = new OwampServerHarness(Ports.Low + 240);
        using var client = await h.ConnectAsync();
        // 10 ms slots from 1 s ago with a 0.3 s Timeout: packets 0..~69 are more than Timeout late.
        var request = Request(serverReceives: false, 120, TimeSpan.FromMilliseconds(10), startIn: TimeSpan.FromSeconds(-1));
        using var receiver = new OwampTestReceiver(Spec(request, request.Sid, TwampModes.Unauthenticated, null), new IPEndPoint(IPAddress.Loopback, 0), Clock, 200);
        var accept = await client.RequestAsync(request with { ReceiverPort = (ushort)receiver.LocalEndPoint.Port });
        receiver.ExpectFrom(new IPEndPoint(IPAddress.Loopback, accept.Port));
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        var rx = Task.Factory.StartNew(() => receiver.Run(OwampTestClient.Timeout()), TaskCreationOptions.LongRunning);
        var record = Assert.Single((await client.ReadStopAsync()).Sessions);
        await rx;
        Assert.Equal(120u, record.NextSeqno);
        var skip = record.SkipRanges[0];
        Assert.Equal(0u, skip.First);
        Assert.InRange(skip.Last, 60u, 115u);
        // A loaded host may hold the send thread up past Timeout later on too: more ranges, as the first
        // (see ServerSendsOnTheScheduleAndStopsFirstOnceComplete). RFC 4656 §4.1.1: none of them was sent.
        var skipped = record.SkipRanges.Sum(r => (int)(r.Last - r.First + 1));
        var result = receiver.Complete(record.NextSeqno, record.SkipRanges);
        Assert.DoesNotContain(result.Records, r => !r.IsLost && record.SkipRanges.Any(x => x.Contains(r.SequenceNumber)));
        Assert.Equal(120 - skipped, result.Records.Count(r => !r.IsLost));
        await client.StopAsync(AcceptCode.Ok);
    }

    [Fact]
    public async Task ClientStopsFirstAndTheServerAnswersWithItsNextSeqno()
    {
        await using var h = new OwampServerHarness(Ports.Low + 260);
        using var client = await h.ConnectAsync();
        var request = Request(serverReceives: false, 1000, TimeSpan.FromMilliseconds(10), startIn: TimeSpan.FromMilliseconds(50));
        using var receiver = new OwampTestReceiver(Spec(request, request.Sid, TwampModes.Unauthenticated, null), new IPEndPoint(IPAddress.Loopback, 0), Clock, 2000);
        var accept = await client.RequestAsync(request with { ReceiverPort = (ushort)receiver.LocalEndPoint.Port });
        receiver.ExpectFrom(new IPEndPoint(IPAddress.Loopback, accept.Port));
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        using var cts = new CancellationTokenSource();
        var rx = Task.Run(() => receiver.Run(cts.Token));
        await Task.Delay(400);
        await client.StopAsync(AcceptCode.Ok);
        var record = Assert.Single((await client.ReadStopAsync()).Sessions);
        Assert.InRange(record.NextSeqno, 10u, 999u);
        // The packets sent before the stop are all on their way: the receive thread has them once it has run
        // (on a busy host that may take longer than a fixed pause), and the session is judged after that.
        for (long end = Environment.TickCount64 + 5000; receiver.Store.Distinct < record.NextSeqno && Environment.TickCount64 < end;)
            await Task.Delay(10);
        cts.Cancel();
        await rx;
        var result = receiver.Complete(record.NextSeqno, record.SkipRanges);
        Assert.True(result.Valid, result.Invalid);
        Assert.Equal((int)record.NextSeqno, result.Records.Count(r => !r.IsLost));
    }
}
