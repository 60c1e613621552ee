using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// Multi-host behaviour over a routed hop (namespaces a — r — b): the reflected Sender TTL shows the
/// hop, the requested DSCP comes back, ECN survives both ways, timestamps come from the kernel —
/// over IPv4 and IPv6.
/// </summary>
public sealed class RoutedPathTests : IDisposable
{
    readonly Topology _net = new();
    readonly ServerProcess _server;

    public RoutedPathTests()
    {
        Assert.True(Environment.UserName == "root", "network namespaces need root (CI runs as root)");
        _server = new ServerProcess("--test-ports 19000-19100", address: "::", controlPort: 862, prefix: $"ip netns exec {_net.B}");
    }

    public void Dispose()
    {
        _server.Dispose();
        _net.Dispose();
    }

    JsonElement Ping(string target, string extra)
    {
        var r = Binary.RunFile("ip", $"netns exec {_net.A} {Binary.Path} ping -c 20 -i 0.01 -L 1 --json {extra} {target}", 60_000);
        Assert.True(r.ExitCode == 0, $"{r.Stdout}\n{r.Stderr}\n{_server.LogText}");
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    [Theory]
    [InlineData(Topology.BAddress4)]
    [InlineData("[" + Topology.BAddress6 + "]")]
    public void OneRoutedHopShowsInTtlDscpAndEcn(string target)
    {
        var j = Ping(target, "--ttl 64 -D 46 --ecn 1");
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        // Sender TTL 64, one router: the reflector sees 63 (RFC 5357 §4.2.1 Sender TTL).
        Assert.Equal(63, j.GetProperty("forward_ttl").GetInt32());
        Assert.Equal(1, j.GetProperty("forward_hops").GetInt32());
        // The reflector sends with TTL 255: 254 arrives back.
        Assert.Equal(254, j.GetProperty("backward_ttl").GetInt32());
        Assert.Equal(1, j.GetProperty("backward_hops").GetInt32());
        // DSCP requested in Type-P comes back on the replies (RFC 5357 §3.5), ECN kept.
        Assert.Equal(46, j.GetProperty("reflected_dscp").GetInt32());
        Assert.Equal(1, j.GetProperty("reflected_ecn").GetInt32());
        // RFC 7750: what the reflector received.
        Assert.Equal(46, j.GetProperty("forward_dscp").GetInt32());
        Assert.Equal(1, j.GetProperty("forward_ecn").GetInt32());
        Assert.Equal("kernel", j.GetProperty("timestamp_source").GetString());
    }

    [Fact]
    public void DefaultTtlAndAnotherDscpOverTheRoutedPath()
    {
        var j = Ping(Topology.BAddress4, "-D 10");
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(10, j.GetProperty("reflected_dscp").GetInt32());
        Assert.Equal(254, j.GetProperty("forward_ttl").GetInt32());
    }
}
