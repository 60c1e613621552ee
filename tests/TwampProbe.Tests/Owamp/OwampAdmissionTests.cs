using System.Net.Sockets;
using TwampProbe.Owamp.Server;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using static TwampProbe.Tests.Owamp.OwampServerHarness;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// How a Request-Session is weighed: what is asked (addresses, ports) before capacity, and each client
/// prefix's fair share of <c>owamp-max-records</c> (RFC 4656 §3.3 Accept codes, §6.2, §6.5).
/// </summary>
public class OwampAdmissionTests
{
    /// <summary>This class's test ports (Support/TestPorts.cs); each server takes 50 from Low + its offset.</summary>
    static readonly TestPorts.Range Ports = TestPorts.OwampAdmission;

    /// <summary>TEST-NET-1 (RFC 5737): neither the client nor an address of this host.</summary>
    static readonly IPAddress ThirdParty = IPAddress.Parse("192.0.2.1");

    /// <summary>A budget smaller than any session's mean rate: every request is over it.</summary>
    static OwampServerHarness OverBudget(int portLow) => new(portLow, l => l with { OwampMaxBandwidth = 1000 });

    [Fact]
    public async Task SendingToAThirdPartyIsDeclinedWithAccept1EvenWhenOverTheBandwidthBudget()
    {
        await using var h = OverBudget(Ports.Low);
        using var client = await h.ConnectAsync();
        var request = Request(serverReceives: false, 100, TimeSpan.FromMilliseconds(1), port: 9) with { ReceiverAddress = ThirdParty };
        var answer = await client.RequestAsync(request);
        // RFC 4656 §6.2: the server "MUST ... decline" it: Accept = 1, as Request-TW-Session answers the same case.
        Assert.Equal((AcceptCode.Failure, (ushort)0), (answer.Accept, answer.Port));
        Assert.Equal(0, h.Server.Context.OwampResults.Capacity.ReservedBitsPerSecond);
        // The same request to the client itself is over the budget: that is the temporary refusal.
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await client.RequestAsync(request with { ReceiverAddress = IPAddress.Loopback })).Accept);
    }

    [Fact]
    public async Task ReceivingOnAnAddressNotOfThisHostIsAccept3EvenWhenOverTheBandwidthBudget()
    {
        await using var h = OverBudget(Ports.Low + 50);
        using var client = await h.ConnectAsync();
        var request = Request(serverReceives: true, 100, TimeSpan.FromMilliseconds(1)) with { ReceiverAddress = ThirdParty };
        Assert.Equal(AcceptCode.NotSupported, (await client.RequestAsync(request)).Accept);
    }

    [Fact]
    public async Task AReceiverPortOf0IsAccept3EvenWhenOverTheBandwidthBudget()
    {
        await using var h = OverBudget(Ports.Low + 100);
        using var client = await h.ConnectAsync();
        Assert.Equal(AcceptCode.NotSupported, (await client.RequestAsync(Request(serverReceives: false, 100, TimeSpan.FromMilliseconds(1), port: 0))).Accept);
    }

    [Fact]
    public async Task AddressFamiliesThatDifferAreAccept3EvenWhenOverTheBandwidthBudget()
    {
        await using var h = OverBudget(Ports.Low + 150);
        using var client = await h.ConnectAsync();
        // IPVN 6 and an IPv6 Sender Address; the absent Receiver Address is the control client's, IPv4.
        var request = Request(serverReceives: false, 100, TimeSpan.FromMilliseconds(1), port: 9) with
        {
            IpVersion = 6,
            SenderAddress = IPAddress.IPv6Loopback,
            ReceiverAddress = null,
        };
        Assert.Equal(AcceptCode.NotSupported, (await client.RequestAsync(request)).Accept);
    }

    [Fact]
    public async Task AThirdPartyRequestIsDeclinedWithAccept1EvenWhenTheRecordBudgetIsFull()
    {
        // Capacity of another kind (owamp-max-records, held by a receive session): still the policy's answer first.
        await using var h = new OwampServerHarness(Ports.Low + 200, l => l with { OwampMaxRecords = 120 });
        using var client = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 100, TimeSpan.FromMilliseconds(1)))).Accept);
        var slots = Request(serverReceives: false, 1, TimeSpan.FromMilliseconds(1), port: 9) with
        {
            Slots = [.. Enumerable.Repeat(ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(1)), 50)],
        };
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await client.RequestAsync(slots)).Accept);
        Assert.Equal(AcceptCode.Failure, (await client.RequestAsync(slots with { ReceiverAddress = ThirdParty })).Accept);
    }

    [Fact]
    public void APrefixMayHoldAQuarterOfTheRecordsButAlwaysOneLargestSession()
    {
        var limits = new TwampProbe.Config.ServerLimits();
        Assert.Equal((1_000_000, 100_000), (limits.OwampMaxRecords, limits.OwampMaxRecordsPerSession));
        Assert.Equal(250_000, OwampResults.PrefixShare(limits));
        // A quarter of 300 000 is less than one session of 100 000 packets and as many slots.
        Assert.Equal(200_000, OwampResults.PrefixShare(limits with { OwampMaxRecords = 300_000 }));
        // Never more than the whole budget.
        Assert.Equal(100_000, OwampResults.PrefixShare(limits with { OwampMaxRecords = 100_000 }));
    }

    [Fact]
    public async Task OneClientPrefixCannotTakeTheWholeRecordBudget()
    {
        // 4000 records in all, at most 500 a session: a prefix's share is 1000. A session of 400 packets
        // reserves 400 + 400/16 + 4 records and 1 slot = 430: two fit in a share, the third does not.
        await using var h = new OwampServerHarness(Ports.Low + 250, l => l with { OwampMaxRecords = 4000, OwampMaxRecordsPerSession = 500 });
        var request = Request(serverReceives: true, 400, TimeSpan.FromMilliseconds(1));
        using var hog = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, (await hog.RequestAsync(request)).Accept);
        Assert.Equal(AcceptCode.Ok, (await hog.RequestAsync(request)).Accept);
        // RFC 4656 §3.3: 5 = "temporary resource limitations" — the share frees as its results go.
        var refused = await hog.RequestAsync(request);
        Assert.Equal((AcceptCode.TemporaryResourceLimitation, (ushort)0), (refused.Accept, refused.Port));
        // A second connection from the same prefix shares the same share.
        using var again = await h.ConnectAsync();
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await again.RequestAsync(request)).Accept);
        Assert.Equal(860, h.Server.Context.OwampResults.ReservedBy("127.0.0.1/32"));

        // Another client (another /32) still has its own share of what is left.
        using var other = await h.ConnectAsync(from: IPAddress.Parse("127.0.0.2"));
        Assert.Equal(AcceptCode.Ok, (await other.RequestAsync(request)).Accept);
        Assert.Equal(430, h.Server.Context.OwampResults.ReservedBy("127.0.0.2/32"));
    }

    [Fact]
    public async Task ASendSessionsSlotsCountAgainstItsPrefixShareUntilItIsReleased()
    {
        // Share 1000 (as above): two send sessions of 400 slots fit, a third is beyond it.
        await using var h = new OwampServerHarness(Ports.Low + 300, l => l with { OwampMaxRecords = 4000, OwampMaxRecordsPerSession = 500 });
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var request = Request(serverReceives: false, 1, TimeSpan.FromMilliseconds(1), port: (ushort)((IPEndPoint)sink.LocalEndPoint!).Port) with
        {
            Slots = [.. Enumerable.Repeat(ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(1)), 400)],
        };
        var client = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(request)).Accept);
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(request)).Accept);
        Assert.Equal(800, h.Server.Context.OwampResults.ReservedBy("127.0.0.1/32"));
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await client.RequestAsync(request)).Accept);
        client.Dispose();
        // The hang-up releases the send session and its slots: the prefix has its share back.
        var results = h.Server.Context.OwampResults;
        for (int i = 0; i < 50 && results.ReservedBy("127.0.0.1/32") != 0; i++) await Task.Delay(50);
        Assert.Equal(0, results.ReservedBy("127.0.0.1/32"));
        using var again = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, (await again.RequestAsync(request)).Accept);
    }
}
