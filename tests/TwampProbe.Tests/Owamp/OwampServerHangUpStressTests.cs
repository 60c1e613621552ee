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
}
