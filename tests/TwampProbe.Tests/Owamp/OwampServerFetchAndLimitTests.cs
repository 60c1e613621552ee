using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using static TwampProbe.Tests.Owamp.OwampServerHarness;
using static TwampProbe.Tests.Support.OwampSessions;

namespace TwampProbe.Tests.Owamp;

/// <summary>Fetch-Session of ranges, refusals of unknown and running sessions, and the record limits' Accept codes.</summary>
public class OwampServerFetchAndLimitTests
{
    /// <summary>This class's test ports (Support/TestPorts.cs); each server takes 50 from Low + its offset.</summary>
    static readonly TestPorts.Range Ports = TestPorts.OwampServerFetchAndLimit;

    /// <summary>Runs one receive session of <paramref name="packets"/> on <paramref name="client"/>, sending <paramref name="send"/> of them.</summary>
    static async Task<AcceptSession> ReceiveSessionAsync(OwampTestClient client, uint packets, uint send, bool stop = true)
    {
        var request = Request(serverReceives: true, packets, TimeSpan.FromMilliseconds(5));
        var accept = await client.RequestAsync(request);
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        using var sender = SenderFor(client, request, accept, packets: send);
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        sender.Run(OwampTestClient.Timeout());
        if (!stop) return accept;
        await Task.Delay(350);
        await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(accept.Sid, packets, []));
        Assert.Empty((await client.ReadStopAsync()).Sessions);
        return accept;
    }

    [Fact]
    public async Task FetchOfARangeReturnsOnlyItsRecordsAndLostOnesAreMarked()
    {
        await using var h = new OwampServerHarness(Ports.Low);
        using var client = await h.ConnectAsync(TwampModes.Encrypted);
        // 20 scheduled, the client sends the first 12: 12..19 are lost (not received within Timeout).
        var accept = await ReceiveSessionAsync(client, packets: 20, send: 12);
        var (ack, data) = await client.FetchAsync(new FetchSession(10, 14, accept.Sid));
        Assert.Equal(new FetchAck(AcceptCode.Ok, true, 20, 0, 5), ack);
        Assert.Equal([10u, 11u, 12u, 13u, 14u], data!.Records.Select(r => r.SequenceNumber).Order());
        Assert.Equal([12u, 13u, 14u], data.Records.Where(r => r.IsLost).Select(r => r.SequenceNumber).Order());
        Assert.All(data.Records.Where(r => r.IsLost), r => Assert.Equal((255, PacketRecord.LostSendError), (r.Ttl, r.SendError)));

        // The complete session: all 20, and a second fetch is served as well (kept, not deleted).
        var (all, allData) = await client.FetchAsync(FetchSession.Complete(accept.Sid));
        Assert.Equal(20u, all.Records);
        Assert.Equal(8, allData!.Records.Count(r => r.IsLost));
        Assert.Equal(AcceptCode.Ok, (await client.FetchAsync(FetchSession.Complete(accept.Sid))).Ack.Accept);
    }

    [Fact]
    public async Task FetchOfAnUnknownSessionIsRefusedWithAccept1AndTheConnectionGoesOn()
    {
        await using var h = new OwampServerHarness(Ports.Low + 50);
        using var client = await h.ConnectAsync(TwampModes.Authenticated);
        var (ack, data) = await client.FetchAsync(FetchSession.Complete(new byte[16]));
        Assert.Equal(FetchAck.Reject(AcceptCode.Failure), ack);
        Assert.Null(data);
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 5, TimeSpan.Zero))).Accept);
    }

    [Fact]
    public async Task CompleteFetchOfARunningSessionIsDeniedButItsRangeSoFarIsServed()
    {
        await using var h = new OwampServerHarness(Ports.Low + 100);
        using var measuring = await h.ConnectAsync();
        // 1000 packets at 5 ms: still running while another connection fetches.
        var request = Request(serverReceives: true, 1000, TimeSpan.FromMilliseconds(5), startIn: TimeSpan.FromMilliseconds(50));
        var accept = await measuring.RequestAsync(request);
        using var sender = SenderFor(measuring, request, accept, packets: 40);
        Assert.Equal(AcceptCode.Ok, await measuring.StartAsync());
        sender.Run(OwampTestClient.Timeout());
        await Task.Delay(50);

        using var other = await h.ConnectAsync();
        // RFC 4656 §3.9: "If a complete session is requested and the session is still in progress ... MUST be denied."
        Assert.Equal(FetchAck.Reject(AcceptCode.Failure), (await other.FetchAsync(FetchSession.Complete(accept.Sid))).Ack);
        // "If an incomplete session is requested, all packets received so far that fall into the requested range SHOULD be returned."
        var (ack, data) = await other.FetchAsync(new FetchSession(0, 29, accept.Sid));
        Assert.Equal(new FetchAck(AcceptCode.Ok, false, 0, 0, 30), ack);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (uint)i), data!.Records.Select(r => r.SequenceNumber));
        // While measuring, the measuring connection itself may only stop (RFC 4656 §3.4).
        Assert.Equal(AcceptCode.NotSupported, (await measuring.FetchAsync(new FetchSession(0, 1, accept.Sid))).Ack.Accept);
    }

    [Fact]
    public async Task ResultsOfASessionWhoseConnectionBrokeAreAbnormalCompleteFetchDenied()
    {
        await using var h = new OwampServerHarness(Ports.Low + 150);
        var gone = await h.ConnectAsync();
        var accept = await ReceiveSessionAsync(gone, packets: 10, send: 10, stop: false);
        gone.Dispose(); // no Stop-Sessions: "terminated in any way other than normally"
        using var other = await h.ConnectAsync();
        FetchAck ack = FetchAck.Reject(AcceptCode.Ok);
        for (int i = 0; i < 50 && ack.Accept != AcceptCode.Failure; i++)
        {
            await Task.Delay(100);
            ack = (await other.FetchAsync(FetchSession.Complete(accept.Sid))).Ack;
        }
        Assert.Equal(AcceptCode.Failure, ack.Accept);
        var (range, data) = await other.FetchAsync(new FetchSession(0, 9, accept.Sid));
        Assert.Equal((AcceptCode.Ok, true, 10u), (range.Accept, range.Finished, range.Records));
        Assert.Equal(10, data!.Records.Count);
    }

    [Fact]
    public async Task MorePacketsThanOneSessionMayStoreGetAccept4()
    {
        await using var h = new OwampServerHarness(Ports.Low + 200, l => l with { OwampMaxRecordsPerSession = 50 });
        using var client = await h.ConnectAsync();
        // RFC 4656 §3.3: 4 = "Cannot perform request due to permanent resource limitations."
        var refused = await client.RequestAsync(Request(serverReceives: true, 51, TimeSpan.FromMilliseconds(1)));
        Assert.Equal(AcceptSession.Reject(AcceptCode.PermanentResourceLimitation).Accept, refused.Accept);
        Assert.Equal(0, refused.Port);
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 40, TimeSpan.FromMilliseconds(1)))).Accept);
    }

    [Fact]
    public async Task RecordsBeyondTheServerWideBudgetGetAccept5UntilResultsExpire()
    {
        await using var h = new OwampServerHarness(Ports.Low + 250, l => l with { OwampMaxRecords = 100, OwampKeepResults = TimeSpan.FromSeconds(1) });
        using var client = await h.ConnectAsync();
        // 60 packets reserve 60 + 60/16 + 4 = 67 records; a second such session would pass 100.
        var first = await ReceiveSessionAsync(client, packets: 60, send: 60);
        // RFC 4656 §3.3: 5 = "Cannot perform request due to temporary resource limitations."
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await client.RequestAsync(Request(serverReceives: true, 60, TimeSpan.FromMilliseconds(1)))).Accept);
        Assert.Equal(AcceptCode.Ok, (await client.FetchAsync(FetchSession.Complete(first.Sid))).Ack.Accept);
        await Task.Delay(1300); // owamp-keep-results: the first session's results are gone, and its budget with them
        Assert.Equal(AcceptCode.Failure, (await client.FetchAsync(FetchSession.Complete(first.Sid))).Ack.Accept);
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 60, TimeSpan.FromMilliseconds(1)))).Accept);
    }

    [Fact]
    public async Task DeleteOnFetchRemovesTheResultsAfterACompleteFetch()
    {
        await using var h = new OwampServerHarness(Ports.Low + 300, l => l with { OwampDeleteOnFetch = true });
        using var client = await h.ConnectAsync();
        var accept = await ReceiveSessionAsync(client, packets: 5, send: 5);
        Assert.Equal(AcceptCode.Ok, (await client.FetchAsync(new FetchSession(0, 2, accept.Sid))).Ack.Accept); // a range keeps them
        Assert.Equal(AcceptCode.Ok, (await client.FetchAsync(FetchSession.Complete(accept.Sid))).Ack.Accept);
        Assert.Equal(AcceptCode.Failure, (await client.FetchAsync(FetchSession.Complete(accept.Sid))).Ack.Accept);
    }

    [Fact]
    public async Task BadTestPacketsAreDroppedAndCountedNeverRecorded()
    {
        await using var h = new OwampServerHarness(Ports.Low + 350);
        using var client = await h.ConnectAsync(TwampModes.Authenticated);
        var request = Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(5));
        var accept = await client.RequestAsync(request);
        using var sender = SenderFor(client, request, accept);
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        // A runt and a 48-octet packet whose HMAC cannot verify, from the session's own sender port.
        using (var udp = Sink())
        {
            var target = new IPEndPoint(IPAddress.Loopback, accept.Port);
            // The receiver only takes packets from the Sender Port of the request (0 there: any port).
            udp.SendTo(new byte[5], target);
            udp.SendTo(new byte[48], target);
        }
        sender.Run(OwampTestClient.Timeout());
        await Task.Delay(350);
        await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(accept.Sid, 10, []));
        await client.ReadStopAsync();
        var (_, data) = await client.FetchAsync(FetchSession.Complete(accept.Sid));
        Assert.Equal(10, data!.Records.Count);
        Assert.All(data.Records, r => Assert.False(r.IsLost));
        Assert.Equal(2, Interlocked.Read(ref h.Server.Context.Counters.OwampTestPacketsDropped));
    }
}
