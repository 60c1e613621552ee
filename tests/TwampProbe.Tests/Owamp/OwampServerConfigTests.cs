using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;
using TwampProbe.Time;
using static TwampProbe.Tests.Owamp.OwampServerHarness;

namespace TwampProbe.Tests.Owamp;

/// <summary>The OWAMP directives, the listeners they give, and the test-port choice (RFC 8545 §5.2).</summary>
public class OwampServerConfigTests
{
    /// <summary>This class's test ports (Support/TestPorts.cs); each server takes 50 from Low + its offset.</summary>
    static readonly TestPorts.Range Ports = TestPorts.OwampServerConfig;

    const string Path = "/etc/twampprobe/twampprobe.conf";

    [Fact]
    public void OwampDirectivesParse()
    {
        var (s, _) = ConfigFile.Parse("""
            owamp-listen 192.0.2.1
            owamp-listen [2001:db8::1]:8610
            owamp-max-records-per-session 5000
            owamp-max-records 20000
            owamp-keep-results 60
            owamp-delete-on-fetch yes
            """, Path);
        Assert.True(s.Owamp);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.1"), 861), new IPEndPoint(IPAddress.Parse("2001:db8::1"), 8610)], s.OwampListen);
        Assert.Equal([(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 861), true), (new IPEndPoint(IPAddress.Parse("2001:db8::1"), 8610), true)], s.OwampEndPoints);
        Assert.Equal((5000, 20000, TimeSpan.FromSeconds(60), true),
            (s.Limits.OwampMaxRecordsPerSession, s.Limits.OwampMaxRecords, s.Limits.OwampKeepResults, s.Limits.OwampDeleteOnFetch));
    }

    [Fact]
    public void ByDefaultOwampListensOnPort861OfTheListenAddresses()
    {
        var (s, _) = ConfigFile.Parse("listen 127.0.0.1:8620\nlisten [::1]\n", Path);
        Assert.Equal([(new IPEndPoint(IPAddress.Loopback, 861), false), (new IPEndPoint(IPAddress.IPv6Loopback, 861), false)], s.OwampEndPoints);
        var (d, _) = ConfigFile.Parse("", Path);
        Assert.Equal([(new IPEndPoint(IPAddress.IPv6Any, 861), false)], d.OwampEndPoints);
    }

    [Fact]
    public void OwampNoTurnsItOff()
    {
        var (s, _) = ConfigFile.Parse("owamp-listen 127.0.0.1:8610\nowamp no\n", Path);
        Assert.Empty(s.OwampEndPoints);
    }

    [Fact]
    public void CommandLineOwampListenReplacesTheFilesOnes()
    {
        var (s, _) = ConfigFile.Parse("owamp-listen 192.0.2.1\n", Path, ["owamp-listen 127.0.0.1:8611"]);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 8611)], s.OwampListen);
    }

    [Theory]
    [InlineData("owamp maybe", "owamp")]
    [InlineData("owamp-listen 300.1.1.1", "owamp-listen")]
    [InlineData("owamp-max-records 0", "owamp-max-records")]
    [InlineData("owamp-keep-results -1", "owamp-keep-results")]
    public void BadOwampDirectivesNameFileAndLine(string line, string directive)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse("\n" + line + "\n", Path));
        Assert.StartsWith($"{Path}:2:", e.Message);
        Assert.Contains(directive, e.Message);
    }

    [Fact]
    public async Task OwampNoLeavesOnlyTwampListening()
    {
        var settings = new ServerSettings { Listen = [new IPEndPoint(IPAddress.Loopback, 0)], Owamp = false, OwampListen = [new IPEndPoint(IPAddress.Loopback, 0)], WellKnownTestPort = 0 };
        using var clock = new ClockState(TimeSpan.Zero);
        using var engine = new ReflectorEngine(clock, new ReflectorOptions { SocketBufferBytes = 1 << 16 });
        await using var server = new TwampServer(new ServerContext(settings, engine, clock));
        server.Start();
        Assert.Single(server.ListenEndPoints);
        Assert.Empty(server.OwampListenEndPoints);
    }

    [Fact]
    public async Task ADefaultOwampPortThatCannotBeHadLeavesTwampServing()
    {
        // A configured TCP port already taken stands in for 861 without the privilege.
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var settings = new ServerSettings { Listen = [new IPEndPoint(IPAddress.Loopback, 0)], Owamp = true, OwampListen = [new IPEndPoint(IPAddress.Loopback, port)], WellKnownTestPort = 0 };
        using var clock = new ClockState(TimeSpan.Zero);
        using var engine = new ReflectorEngine(clock, new ReflectorOptions { SocketBufferBytes = 1 << 16 });
        // Configured: the server refuses to start, naming the port.
        await using (var configured = new TwampServer(new ServerContext(settings, engine, clock)))
            Assert.Contains($"cannot listen on TCP 127.0.0.1:{port}", Assert.Throws<StartupException>(configured.Start).Message);
        // The default (port 861 of the listen addresses, here the taken port): a warning, TWAMP is served.
        await using var fallback = new TwampServer(new ServerContext(settings with { OwampListen = [], OwampDefaultPort = port }, engine, clock));
        fallback.Start();
        Assert.Single(fallback.ListenEndPoints);
        Assert.Empty(fallback.OwampListenEndPoints);
    }

    [Fact]
    public async Task RequestedWellKnownTestPortIsUsedAndAnyOtherGetsAnAlternate()
    {
        int wellKnown;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0))) wellKnown = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        await using var h = new OwampServerHarness(Ports.Low, tweak: s => s with { OwampWellKnownTestPort = wellKnown });
        using var client = await h.ConnectAsync();
        // RFC 8545 §5.2: a client MAY ask for the OWAMP-Test port; the server uses it when it can.
        var onWellKnown = await client.RequestAsync(Request(serverReceives: true, 5, TimeSpan.Zero) with { ReceiverPort = (ushort)wellKnown });
        Assert.Equal((AcceptCode.Ok, (ushort)wellKnown), (onWellKnown.Accept, onWellKnown.Port));
        // Taken now: "it sends an alternate port number in the Accept-Session message with Accept field = 0".
        var again = await client.RequestAsync(Request(serverReceives: true, 5, TimeSpan.Zero) with { ReceiverPort = (ushort)wellKnown });
        Assert.Equal(AcceptCode.Ok, again.Accept);
        Assert.InRange(again.Port, Ports.Low, Ports.Low + 49);
        var outside = await client.RequestAsync(Request(serverReceives: true, 5, TimeSpan.Zero) with { ReceiverPort = 9 });
        Assert.InRange(outside.Port, Ports.Low, Ports.Low + 49);
    }

    [Fact]
    public void CheckConfigListsTheOwampListenersBesideTheTwampOnes()
    {
        var (s, app) = ConfigFile.Parse("listen 192.0.2.1:862\nowamp-listen 192.0.2.1\nowamp-listen [2001:db8::1]:8610\nowamp-max-records 20000\n", Path);
        var lines = TwampProbe.Cli.CheckConfigCommand.Describe(s, app).ToList();
        Assert.Contains("  listen       192.0.2.1:862", lines);
        Assert.Contains("  owamp        192.0.2.1:861 [2001:db8::1]:8610", lines);
        Assert.Contains(lines, l => l.StartsWith("  owamp-limits records 20000 (per client prefix 20000, per session 100000)", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckConfigSaysWhereOwampListensByDefaultAndWhenItIsOff()
    {
        var (s, app) = ConfigFile.Parse("listen 127.0.0.1:8620\nlisten [::1]\n", Path);
        Assert.Contains("  owamp        127.0.0.1:861 [::1]:861 (default; TWAMP only if a port cannot be had)", TwampProbe.Cli.CheckConfigCommand.Describe(s, app));
        var (off, offApp) = ConfigFile.Parse("owamp no\n", Path);
        var lines = TwampProbe.Cli.CheckConfigCommand.Describe(off, offApp).ToList();
        Assert.Contains("  owamp        off", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("  owamp-limits", StringComparison.Ordinal));
    }
}
