using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using static TwampProbe.Tests.Owamp.OwampServerHarness;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// Peers that stop halfway through a message or never read their socket, over real loopback sockets:
/// what the server holds for them meanwhile (until SERVWAIT) must not grow with what they ask for
/// beyond the RFC 4656 §6.5 budget — a table full of such peers must not take the probe's memory.
/// </summary>
public class OwampSlowPeerTests
{
    static readonly TestPorts.Range Ports = TestPorts.OwampSlowPeer;

    const uint Packets = 400_000;

    [Fact]
    public async Task FetchesThatAreNeverReadHoldNoCopyOfTheResults()
    {
        await using var h = new OwampServerHarness(Ports.Low, l => l with { OwampMaxRecordsPerSession = (int)Packets, OwampMaxRecords = 2_000_000 });
        byte[] sid;
        using (var owner = await h.ConnectAsync())
        {
            // Scheduled 10 s ago at 1 µs: nothing arrives, all 400 000 are lost records (RFC 4656 §3.9), 10 MB on the wire.
            var accept = await owner.RequestAsync(Request(serverReceives: true, Packets, TimeSpan.FromTicks(10), startIn: TimeSpan.FromSeconds(-10), timeoutSeconds: 0.05));
            Assert.Equal(AcceptCode.Ok, accept.Accept);
            sid = accept.Sid;
            Assert.Equal(AcceptCode.Ok, await owner.StartAsync());
            await owner.StopAsync(AcceptCode.Ok, new StopSessionRecord(sid, Packets, []));
            await owner.ReadStopAsync();
        }

        long before = GC.GetTotalMemory(forceFullCollection: true);
        var hogs = new List<OwampTestClient>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                var hog = await h.ConnectAsync(TwampModes.Authenticated, receiveBuffer: 4096);
                hogs.Add(hog);
                var bytes = new byte[FetchSession.Size];
                FetchSession.Complete(sid).Write(bytes);
                await hog.Channel.WriteWithHmacAsync(bytes, OwampTestClient.Timeout());
            }
            await Task.Delay(1500);
            long held = GC.GetTotalMemory(forceFullCollection: true) - before;
            // A copy of the records is 400 000 × 32 octets per fetch; a chunk is 25 600.
            Assert.True(held < 24L << 20, $"8 blocked fetches hold {held >> 20} MB");

            // A client that reads gets what it asks for, in every part, across the chunks.
            using var reader = await h.ConnectAsync(TwampModes.Encrypted);
            var (ack, data) = await reader.FetchAsync(new FetchSession(1000, 2999, sid));
            Assert.Equal((AcceptCode.Ok, 2000u), (ack.Accept, ack.Records));
            Assert.Equal(Enumerable.Range(1000, 2000).Select(i => (uint)i), data!.Records.Select(r => r.SequenceNumber).Order());
            Assert.Single(data.Request.Slots);
        }
        finally
        {
            foreach (var hog in hogs) hog.Dispose();
        }
    }

    [Fact]
    public async Task SlotsOfARequestStillBeingReadAreChargedToTheResultsBudget()
    {
        // Per session 20 000 records; in all 40 000, which is also the client prefix's share.
        await using var h = new OwampServerHarness(Ports.Low + 50, l => l with { OwampMaxRecordsPerSession = 20_000, OwampMaxRecords = 40_000 });
        var results = h.Server.Context.OwampResults;
        var big = Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1)) with
        {
            Slots = Enumerable.Repeat(ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(1)), 20_000).ToArray(),
        };
        var whole = new byte[big.Length];
        big.Write(whole);
        var stalled = new List<OwampTestClient>();
        try
        {
            // Two peers send all of a 20 000-slot request but its last HMAC block, and stop there.
            for (int i = 0; i < 2; i++)
            {
                var peer = await h.ConnectAsync();
                stalled.Add(peer);
                await peer.Channel.WriteClearAsync(whole.AsMemory(0, whole.Length - 16), OwampTestClient.Timeout());
            }
            for (int i = 0; i < 100 && results.ReservedRecords < 40_000; i++) await Task.Delay(50);
            Assert.Equal(40_000, results.ReservedRecords);

            // Their slots are held: a third request of that size has no room now (RFC 4656 §3.3, 5 = temporary),
            using var client = await h.ConnectAsync();
            Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await client.RequestAsync(big)).Accept);

            // and once they hang up, the charge is given back.
            foreach (var p in stalled) p.Dispose();
            stalled.Clear();
            for (int i = 0; i < 100 && results.ReservedRecords > 0; i++) await Task.Delay(50);
            Assert.Equal(0, results.ReservedRecords);
            Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(big)).Accept);
        }
        finally
        {
            foreach (var p in stalled) p.Dispose();
        }
    }

    [Fact]
    public async Task SkipRangesKeptWithAResultAreChargedToTheResultsBudget()
    {
        await using var h = new OwampServerHarness(Ports.Low + 50, l => l with { OwampMaxRecordsPerSession = 1000 });
        var results = h.Server.Context.OwampResults;
        using var client = await h.ConnectAsync();
        // Scheduled a second ago; the sender says it skipped every packet, in 500 ranges of two (RFC 4656 §3.8):
        // no record is kept, but the 500 ranges are, for owamp-keep-results.
        var accept = await client.RequestAsync(Request(serverReceives: true, 1000, TimeSpan.FromMilliseconds(1), startIn: TimeSpan.FromSeconds(-1), timeoutSeconds: 0.05));
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        var skips = Enumerable.Range(0, 500).Select(k => new SkipRange((uint)(2 * k), (uint)(2 * k + 1))).ToArray();
        await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(accept.Sid, 1000, skips));
        await client.ReadStopAsync();
        var (ack, data) = await client.FetchAsync(FetchSession.Complete(accept.Sid));
        Assert.Equal((AcceptCode.Ok, 0u, 500u), (ack.Accept, ack.Records, ack.SkipRanges));
        Assert.Equal(skips, data!.SkipRanges);
        // Its one slot and its 500 skip ranges.
        Assert.Equal(501, results.ReservedRecords);
    }

    [Fact]
    public async Task StartSessionsWithoutASessionDoesNotProtectAConnection()
    {
        await using var h = new OwampServerHarness(Ports.Low, l => l with { MaxConnections = 2 });
        var hogs = new List<OwampTestClient>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                hogs.Add(await h.ConnectAsync(from: IPAddress.Parse($"127.0.13.{i + 1}")));
                Assert.Equal(AcceptCode.Ok, await hogs[i].StartAsync());
            }
            // A third client gets a greeting with modes (not Modes = 0) and is served; a hog gave way.
            using var client = await h.ConnectAsync(from: IPAddress.Parse("127.0.13.9"));
            Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 5, TimeSpan.FromMilliseconds(1)))).Accept);
            Assert.Equal(1, h.Server.Context.Counters.ConnectionsEvicted);
        }
        finally
        {
            foreach (var c in hogs) c.Dispose();
        }
    }

    [Fact]
    public async Task OneHostCannotTakeTheWholeBandwidthBudget()
    {
        // 40 kbit/s in all, a quarter per client prefix; each session is 20 packets of 336 bit, every 5 ms:
        // all of them within a second, 6720 bit/s.
        await using var h = new OwampServerHarness(Ports.Low, l => l with { OwampMaxBandwidth = 40_000 });
        var session = Request(serverReceives: true, 20, TimeSpan.FromMilliseconds(5), startIn: TimeSpan.FromHours(1));
        // One host asks for as much as it can and never starts it (held until its connection ends).
        using var hog = await h.ConnectAsync(from: IPAddress.Parse("127.0.14.1"));
        var answers = new List<AcceptCode>();
        for (int i = 0; i < 6; i++) answers.Add((await hog.RequestAsync(session)).Accept);
        // RFC 4656 §6.5 / §3.3: its share is one session; the rest is Accept = 5.
        Assert.Equal([AcceptCode.Ok, .. Enumerable.Repeat(AcceptCode.TemporaryResourceLimitation, 5)], answers);
        using var other = await h.ConnectAsync(from: IPAddress.Parse("127.0.14.2"));
        Assert.Equal(AcceptCode.Ok, (await other.RequestAsync(session)).Accept);
    }
}
