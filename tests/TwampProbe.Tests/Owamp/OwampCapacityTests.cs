using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Owamp.Server;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using static TwampProbe.Tests.Owamp.OwampServerHarness;
using static TwampProbe.Tests.Support.OwampSessions;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// <c>owamp-max-bandwidth</c>: the mean rates of all OWAMP test sessions are bounded (RFC 4656 §6.5), a
/// request beyond gets Accept = 5 (§3.3) and the capacity comes back when a session ends.
/// </summary>
public class OwampCapacityTests
{
    /// <summary>This class's test ports (Support/TestPorts.cs); each server takes 50 from Low + its offset.</summary>
    static readonly TestPorts.Range Ports = TestPorts.OwampCapacity;

    const string Path = "/etc/twampprobe.conf";

    // Unauthenticated over IPv4, no padding: 20 + 8 + 14 = 42 octets, every 5 ms: 336 bit / 0.005 s = 67200 bit/s.
    const long OneSession = 67_200;
    static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(5);

    /// <summary>The tests' clients are all 127.0.0.1, one client prefix: its share is a quarter of <paramref name="budget"/>.</summary>
    static OwampServerHarness Harness(int portLow, long budget) => new(portLow, l => l with { OwampMaxBandwidth = budget });

    static RequestSession SendTo(Socket sink, uint packets = 2000) => Request(serverReceives: false, packets, Interval, port: sink.Port());

    /// <summary>The rate to the bit (as the reservation rounds it) and whether it is a burst.</summary>
    static (long, bool) Rate((double BitsPerSecond, bool Burst) r) => ((long)Math.Round(r.BitsPerSecond, 3), r.Burst);

    [Fact]
    public void MeanRateIsThePacketOnTheWireOverTheMeanSlot()
    {
        Assert.Equal((OneSession, false), Rate(OwampCapacity.MeanBitsPerSecond([ScheduleSlot.Fixed(Interval)], 0, TestSecurity.Unauthenticated, AddressFamily.InterNetwork, 2000)));
        // The schedule repeats its slots: 1 ms and 9 ms are a mean of 5 ms, whatever their types.
        Assert.Equal((OneSession, false), Rate(OwampCapacity.MeanBitsPerSecond(
            [ScheduleSlot.Exponential(TimeSpan.FromMilliseconds(1)), ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(9))], 0, TestSecurity.Unauthenticated, AddressFamily.InterNetwork, 2000)));
        // IPv6 (40-octet header), authenticated header (48 octets), 100 octets of padding, one a second: (40 + 8 + 48 + 100) × 8.
        Assert.Equal((1568L, false), Rate(OwampCapacity.MeanBitsPerSecond([ScheduleSlot.Fixed(TimeSpan.FromSeconds(1))], 100, TestSecurity.Authenticated, AddressFamily.InterNetworkV6, 10)));
        // A mean interval of 0 is a burst: all of its packets, and no more, in one second (42 octets × 8 × 10).
        Assert.Equal((3360L, true), Rate(OwampCapacity.MeanBitsPerSecond([ScheduleSlot.Exponential(TimeSpan.Zero), ScheduleSlot.Fixed(TimeSpan.Zero)], 0, TestSecurity.Unauthenticated, AddressFamily.InterNetwork, 10)));
        // A session shorter than a second (a burst too: its share is held a second after it ends) cannot hold more than its packets: 2 packets every 5 ms is 672 bit/s, not 67 200.
        Assert.Equal((672L, true), Rate(OwampCapacity.MeanBitsPerSecond([ScheduleSlot.Fixed(Interval)], 0, TestSecurity.Unauthenticated, AddressFamily.InterNetwork, 2)));
    }

    [Fact]
    public async Task BeyondTheBudgetGetsAccept5WhileTheFirstRunsAndIsAcceptedOnceItsConnectionHangsUp()
    {
        await using var h = Harness(Ports.Low, budget: 400_000);
        using var sink = Sink();
        var first = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, (await first.RequestAsync(SendTo(sink))).Accept);
        Assert.Equal(AcceptCode.Ok, await first.StartAsync());
        Assert.Equal(OneSession, h.Server.Context.OwampResults.Capacity.ReservedBitsPerSecond);
        using var second = await h.ConnectAsync();
        // RFC 4656 §3.3: 5 = "Cannot perform request due to temporary resource limitations."
        var refused = await second.RequestAsync(SendTo(sink));
        Assert.Equal((AcceptCode.TemporaryResourceLimitation, (ushort)0), (refused.Accept, refused.Port));
        // The other direction consumes capacity too.
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await second.RequestAsync(Request(serverReceives: true, 100, Interval))).Accept);
        first.Dispose(); // abnormal end: the hang-up releases the session
        Assert.Equal(AcceptCode.Ok, await RequestUntilOkAsync(second, () => SendTo(sink)));
    }

    [Fact]
    public async Task AStoppedReceiveSessionGivesItsBandwidthBack()
    {
        // 20 packets, every 5 ms: all of them in one second, 20 × 336 = 6720 bit/s; the prefix's share 10 000 holds one.
        await using var h = Harness(Ports.Low + 50, budget: 40_000);
        using var first = await h.ConnectAsync();
        var request = Request(serverReceives: true, 20, Interval);
        var accept = await first.RequestAsync(request);
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        using var sender = SenderFor(first, request, accept);
        Assert.Equal(AcceptCode.Ok, await first.StartAsync());
        using var second = await h.ConnectAsync();
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await second.RequestAsync(Request(serverReceives: true, 20, Interval))).Accept);
        sender.Run(OwampTestClient.Timeout());
        await first.StopAsync(AcceptCode.Ok, new StopSessionRecord(accept.Sid, 20, []));
        Assert.Empty((await first.ReadStopAsync()).Sessions);
        Assert.Equal(AcceptCode.Ok, await RequestUntilOkAsync(second, () => Request(serverReceives: true, 20, Interval)));
    }

    /// <summary>
    /// A burst session holds all its packets in one second, so it keeps them reserved for a second after
    /// it ends: given back at once, the next burst went out within the same second (and the next), many
    /// times the reservation for a peer cycling Request / Start / Stop.
    /// </summary>
    [Fact]
    public async Task ABurstSessionHoldsItsShareForASecondAfterItEnds()
    {
        // 20 packets at once: 20 × 336 = 6720 bit/s; the prefix's share 10 000 holds one.
        // The ports of AStoppedReceiveSessionGivesItsBandwidthBack: the tests of a class run one at a time.
        await using var h = Harness(Ports.Low + 50, budget: 40_000);
        using var client = await h.ConnectAsync();
        var request = Request(serverReceives: true, 20, TimeSpan.Zero);
        var accept = await client.RequestAsync(request);
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        using var sender = SenderFor(client, request, accept);
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        sender.Run(OwampTestClient.Timeout());
        await client.StopAsync(AcceptCode.Ok, new StopSessionRecord(accept.Sid, 20, []));
        await client.ReadStopAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(AcceptCode.Ok, await RequestUntilOkAsync(client, () => request));
        Assert.True(clock.ElapsedMilliseconds >= 900, $"the next burst was admitted {clock.ElapsedMilliseconds} ms after the first ended");
    }

    [Fact]
    public async Task AZeroMeanIntervalIsABurstOfAllItsPacketsInOneSecond()
    {
        await using var h = Harness(Ports.Low + 100, budget: 1_000_000_000);
        using var sink = Sink();
        using var client = await h.ConnectAsync();
        // An exponential mean of 0 with 8900 octets of padding, 100 000 packets: (20 + 8 + 14 + 8900) × 8 × 100 000
        // = 7.2 Gbit/s in one second, beyond the prefix's share of the budget.
        var burst = SendTo(sink, 100_000) with { Slots = [ScheduleSlot.Exponential(TimeSpan.Zero), ScheduleSlot.Fixed(TimeSpan.Zero)], PaddingLength = 8900 };
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await client.RequestAsync(burst)).Accept);
        Assert.Equal(0, h.Server.Context.OwampResults.Capacity.ReservedBitsPerSecond);
        // owping -c 1 -i 0f: one packet at once is 336 bit, which any budget covers.
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(SendTo(sink, 1) with { Slots = [ScheduleSlot.Fixed(TimeSpan.Zero)] })).Accept);
        Assert.Equal(336, h.Server.Context.OwampResults.Capacity.ReservedBitsPerSecond);
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(SendTo(sink))).Accept);
    }

    [Fact]
    public async Task AReloadedBudgetAppliesToNewRequests()
    {
        await using var h = Harness(Ports.Low + 150, budget: 400_000);
        using var sink = Sink();
        using var client = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(SendTo(sink))).Accept);
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, (await client.RequestAsync(SendTo(sink))).Accept);
        var settings = h.Server.Context.Settings;
        h.Server.Reload(settings with { Limits = settings.Limits with { OwampMaxBandwidth = 8 * OneSession } });
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(SendTo(sink))).Accept);
        h.Server.Reload(settings with { Limits = settings.Limits with { OwampMaxBandwidth = 0 } }); // unlimited
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(SendTo(sink) with { Slots = [ScheduleSlot.Fixed(TimeSpan.Zero)] })).Accept);
    }

    [Theory]
    [InlineData("owamp-max-bandwidth 0", 0L)]
    [InlineData("owamp-max-bandwidth 64000", 64_000L)]
    [InlineData("owamp-max-bandwidth 500k", 500_000L)]
    [InlineData("owamp-max-bandwidth 10M", 10_000_000L)]
    [InlineData("owamp-max-bandwidth 2G", 2_000_000_000L)]
    public void BandwidthDirectiveParses(string line, long bitsPerSecond)
    {
        var (s, _) = ConfigFile.Parse(line + "\n", Path);
        Assert.Equal(bitsPerSecond, s.Limits.OwampMaxBandwidth);
    }

    [Fact]
    public void BandwidthDefaultsTo10MAndIsReloadable()
    {
        var (s, _) = ConfigFile.Parse("", Path);
        Assert.Equal(10_000_000L, s.Limits.OwampMaxBandwidth);
        Assert.Contains(ConfigFile.Describe(), d => d.Name == "owamp-max-bandwidth" && d.Reloadable);
    }

    [Theory]
    [InlineData("owamp-max-bandwidth")]
    [InlineData("owamp-max-bandwidth -1")]
    [InlineData("owamp-max-bandwidth 10m")]
    [InlineData("owamp-max-bandwidth 1.5M")]
    [InlineData("owamp-max-bandwidth M")]
    [InlineData("owamp-max-bandwidth 2000G")]
    [InlineData("owamp-max-bandwidth 10M 20M")]
    public void BadBandwidthNamesFileAndLine(string line)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse("\n" + line + "\n", Path));
        Assert.StartsWith($"{Path}:2:", e.Message);
        Assert.Contains("owamp-max-bandwidth", e.Message);
    }
}
