using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using static TwampProbe.Tests.Owamp.OwampServerHarness;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// Peers that ask for results and then never read their socket, over real loopback sockets: the
/// server's sends block (until SERVWAIT), and what a blocked Fetch-Session holds must not grow with
/// the size of the results — a table full of such peers must not take the probe's memory.
/// </summary>
public class OwampSlowReaderTests
{
    static readonly TestPorts.Range Ports = TestPorts.OwampSlowReader;

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
}
