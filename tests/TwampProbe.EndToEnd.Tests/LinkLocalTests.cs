using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// Measuring over IPv6 link-local addresses (<c>ping fe80::b%if</c>): the Request-TW-Session addresses
/// carry no zone (RFC 5357 §3.5), so the server takes it from the control connection to bind the test
/// socket and to recognise the Session-Sender; every mode gets every packet back.
/// </summary>
public sealed class LinkLocalTests : IDisposable
{
    const int LightPort = 19862;
    readonly LinkPair _net = new();
    readonly TempDir _dir = new();
    readonly string _keys;
    readonly ServerProcess _server;

    public LinkLocalTests()
    {
        Assert.True(Environment.UserName == "root", "network namespaces need root (CI runs as root)");
        _keys = Binary.WriteKeyFile(_dir.Path, "alice", "correct horse battery staple");
        _server = new ServerProcess($"--keyfile {_keys} --test-ports 19000-19100 --light-listen [::]:{LightPort} --light-allow fe80::/10",
            address: "::", controlPort: 862, prefix: $"ip netns exec {_net.B}");
    }

    public void Dispose()
    {
        _server.Dispose();
        _net.Dispose();
        _dir.Dispose();
    }

    JsonElement Ping(string args)
    {
        // -L 3: the first reply toward a fresh neighbour can wait for a second neighbour solicitation
        // (RetransTimer 1 s); with -L as the loss threshold (RFC 7680) it would count as lost.
        var r = Binary.RunFile("ip", $"netns exec {_net.A} {Binary.Path} ping -c 20 -i 0.01 -L 3 --json {args}", 60_000);
        Assert.True(r.ExitCode == 0, $"{r.Stdout}\n{r.Stderr}\n{_server.LogText}");
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    [Theory]
    [InlineData("unauth", "")]
    [InlineData("auth", "")]
    [InlineData("enc", "")]
    [InlineData("mixed", "")]
    [InlineData("unauth", "-P 862")] // the wildcard UDP 862 socket bound at start-up
    [InlineData("enc", "-P 862")]
    public void EveryModeMeasuresOverLinkLocalWithoutLoss(string mode, string port)
    {
        var auth = mode == "unauth" ? "" : $"-u alice -k {_keys}";
        var j = Ping($"-m {mode} {auth} {port} {LinkPair.BLinkLocal}%{_net.AInterface}");
        Assert.Equal(mode, j.GetProperty("mode").GetString());
        Assert.Equal(20, j.GetProperty("packets_sent").GetInt32());
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, j.GetProperty("invalid").GetInt32());
        Assert.StartsWith($"[{LinkPair.BLinkLocal}%", j.GetProperty("reflector").GetString());
        if (port.Length > 0) Assert.EndsWith("]:862", j.GetProperty("reflector").GetString());
    }

    [Fact]
    public void LinkLocalSourceWithoutZoneTakesTheTargetsZone()
    {
        var j = Ping($"-S {LinkPair.ALinkLocal} {LinkPair.BLinkLocal}%{_net.AInterface}");
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        Assert.StartsWith($"[{LinkPair.ALinkLocal}%", j.GetProperty("sender").GetString());
    }

    [Fact]
    public void LinkLocalTargetWithoutZoneIsAUsageError()
    {
        var r = Binary.RunFile("ip", $"netns exec {_net.A} {Binary.Path} ping -c 1 {LinkPair.BLinkLocal}", 60_000);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("needs its interface", r.Stderr);
    }

    [Fact]
    public void BracketedLinkLocalWithPortConnectsToo()
    {
        var j = Ping($"[{LinkPair.BLinkLocal}%{_net.AInterface}]:862");
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
    }

    [Fact]
    public void TwampUdp862ToTheSecondLinkLocalAddressHasNoLoss()
    {
        // The reply must leave from fe80::b2 on the arrival interface (IPV6_PKTINFO with its ifindex).
        var j = Ping($"-P 862 {LinkPair.BLinkLocal2}%{_net.AInterface}");
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, j.GetProperty("invalid").GetInt32());
    }

    [Fact]
    public void TwampLightToTheSecondLinkLocalAddressHasNoLoss()
    {
        var j = Ping($"--light [{LinkPair.BLinkLocal2}%{_net.AInterface}]:{LightPort}");
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, j.GetProperty("invalid").GetInt32());
    }
}
