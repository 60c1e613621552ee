using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using static TwampProbe.Tests.Owamp.OwampServerHarness;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// The interleaving that hurts: clients that request sessions in both directions, start them and hang
/// up at once (or right after stopping), many times over. Every session is released exactly once
/// (the server-wide session count returns to 0), abandoned receive sessions become abnormal results,
/// and the server keeps serving.
/// </summary>
public class OwampServerHangUpStressTests
{
    /// <summary>This class's test ports (Support/TestPorts.cs); each server takes 50 from Low + its offset.</summary>
    static readonly TestPorts.Range Ports = TestPorts.OwampServerHangUpStress;

    [Fact]
    public async Task HangingUpMidMeasurementReleasesEverySessionOnce()
    {
        await using var h = new OwampServerHarness(Ports.Low);
        var ctx = h.Server.Context;
        var sids = new List<byte[]>();
        for (int i = 0; i < 20; i++)
        {
            var client = await h.ConnectAsync(i % 2 == 0 ? TwampModes.Unauthenticated : TwampModes.Encrypted);
            var toServer = await client.RequestAsync(Request(serverReceives: true, 200, TimeSpan.FromMilliseconds(2), startIn: TimeSpan.Zero));
            var fromServer = await client.RequestAsync(Request(serverReceives: false, 200, TimeSpan.FromMilliseconds(2), port: 9, startIn: TimeSpan.Zero));
            Assert.Equal((AcceptCode.Ok, AcceptCode.Ok), (toServer.Accept, fromServer.Accept));
            sids.Add(toServer.Sid);
            Assert.Equal(AcceptCode.Ok, await client.StartAsync());
            if (i % 3 == 2) await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(toServer.Sid, 0, []));
            client.Dispose();
        }
        for (int i = 0; i < 100 && ctx.ActiveSessions != 0; i++) await Task.Delay(50);
        Assert.Equal(0, ctx.ActiveSessions);
        using var probe = await h.ConnectAsync();
        for (int i = 0; i < sids.Count; i++)
        {
            var sid = sids[i];
            // Stopped by the client's Stop-Sessions: ended normally. Otherwise ended without it: a range is
            // served, the complete session is not (RFC 4656 §3.9).
            Assert.Equal(i % 3 == 2 ? AcceptCode.Ok : AcceptCode.Failure, (await probe.FetchAsync(FetchSession.Complete(sid))).Ack.Accept);
            Assert.Equal(AcceptCode.Ok, (await probe.FetchAsync(new FetchSession(0, 10, sid))).Ack.Accept);
        }
        Assert.Equal(AcceptCode.Ok, (await probe.RequestAsync(Request(serverReceives: true, 5, TimeSpan.Zero))).Accept);
    }

    /// <summary>
    /// Large schedules (more slots than one read takes) are charged to owamp-max-records while they are
    /// read and released when the peer goes: 24 peers at once, each hanging up at a point of its own —
    /// inside the slots, just before the last HMAC block, or after the Accept-Session of a session it never
    /// starts. What stays charged is exactly the kept results of the admitted sessions (each its 5000 slots,
    /// kept with the session's description for Fetch-Session until owamp-keep-results); no bandwidth, no
    /// session, nothing of the peers cut short; and another host is still admitted a large request.
    /// </summary>
    [Fact]
    public async Task HangingUpWhileLargeSchedulesAreReadGivesEveryChargeBack()
    {
        await using var h = new OwampServerHarness(Ports.Low, l => l with { OwampMaxRecordsPerSession = 20_000, OwampMaxRecords = 400_000, OwampMaxBandwidth = 1_000_000_000 });
        var ctx = h.Server.Context;
        var results = ctx.OwampResults;
        var big = Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1), startIn: TimeSpan.FromHours(1)) with
        {
            Slots = Enumerable.Repeat(ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(1)), 5000).ToArray(),
        };
        var whole = new byte[big.Length];
        big.Write(whole);
        var random = new Random(5357);
        var cuts = Enumerable.Range(0, 24).Select(_ => random.Next(112, whole.Length - 16)).ToArray();
        var waits = Enumerable.Range(0, 24).Select(_ => random.Next(0, 150)).ToArray();
        var accepted = 0;
        await Task.WhenAll(Enumerable.Range(0, 24).Select(async i =>
        {
            using var peer = await h.ConnectAsync();
            switch (i % 3)
            {
                case 0: // hangs up somewhere inside the slots
                    await peer.Channel.WriteClearAsync(whole.AsMemory(0, cuts[i]), OwampTestClient.Timeout());
                    break;
                case 1: // all but the last HMAC block
                    await peer.Channel.WriteClearAsync(whole.AsMemory(0, whole.Length - 16), OwampTestClient.Timeout());
                    break;
                default: // the whole request, its answer, and then nothing
                    if ((await peer.RequestAsync(big)).Accept == AcceptCode.Ok) Interlocked.Increment(ref accepted);
                    break;
            }
            await Task.Delay(waits[i]);
        }));
        // Some of the whole requests were admitted while others held their slots' charge.
        Assert.True(accepted > 0, "no whole request was admitted");
        for (int i = 0; i < 100 && (results.ReservedRecords != accepted * 5000L || results.Capacity.ReservedBitsPerSecond != 0 || ctx.ActiveSessions != 0); i++)
            await Task.Delay(50);
        long kept = accepted * 5000L;
        Assert.Equal((kept, 0L, 0, accepted), (results.ReservedRecords, results.Capacity.ReservedBitsPerSecond, ctx.ActiveSessions, results.Count));
        // The admitted ones filled their prefix's share (a quarter of 400 000): another host still has room.
        using var client = await h.ConnectAsync(from: IPAddress.Parse("127.0.15.1"));
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(big)).Accept);
    }
}
