using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>serve + ping of the published binary on loopback, 100 packets in every mode.</summary>
public sealed class ModesEndToEndTests : IDisposable
{
    readonly TempDir _dir = new();
    readonly ServerProcess _server;
    readonly string _keys;
    readonly int _light;

    public ModesEndToEndTests()
    {
        _keys = Binary.WriteKeyFile(_dir.Path, "alice", "correct horse battery staple");
        var (lo, hi) = Binary.PortRange();
        _light = hi;
        _server = new ServerProcess($"--keyfile {_keys} --test-ports {lo}-{hi - 1} --light-listen 127.0.0.1:{_light}");
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    static JsonElement Json(Binary.Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    [Theory]
    [InlineData("unauth")]
    [InlineData("auth")]
    [InlineData("enc")]
    [InlineData("mixed")]
    public void HundredPacketsAreAllReflectedInMode(string mode)
    {
        var auth = mode == "unauth" ? "" : $"-u alice -k {_keys}";
        var j = Json(Binary.Run($"ping -c 100 -i 0.005 -L 1 -m {mode} {auth} --json {_server.Endpoint}"));
        Assert.Equal(mode, j.GetProperty("mode").GetString());
        Assert.Equal(100, j.GetProperty("packets_sent").GetInt32());
        Assert.Equal(100, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, j.GetProperty("duplicates").GetInt32());
        Assert.Equal(0, j.GetProperty("invalid").GetInt32());
        var rtt = j.GetProperty("rtt_us");
        Assert.InRange(rtt.GetProperty("min").GetDouble(), 0.1, 50_000);
        Assert.True(rtt.GetProperty("max").GetDouble() >= rtt.GetProperty("p99").GetDouble());
        Assert.True(j.GetProperty("turnaround_us").GetProperty("median").GetDouble() > 0);
        // Loopback: no router in between, both ends send with TTL 255.
        Assert.Equal(255, j.GetProperty("forward_ttl").GetInt32());
        Assert.Equal(0, j.GetProperty("reflected_dscp").GetInt32());
        Assert.True(_server.WaitForLog(l => l.Contains($"mode={mode}") && l.Contains("reflected=100"), TimeSpan.FromSeconds(5)), _server.LogText);
    }

    [Fact]
    public void RequestedDscpComesBackOnTheReplies()
    {
        var j = Json(Binary.Run($"ping -c 20 -i 0.005 -L 1 -D 46 --json {_server.Endpoint}"));
        Assert.Equal(46, j.GetProperty("reflected_dscp").GetInt32());
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
    }

    [Fact]
    public void TwampLightReflectsHundredPackets()
    {
        var j = Json(Binary.Run($"ping --light -c 100 -i 0.005 -L 1 --json 127.0.0.1:{_light}"));
        Assert.Equal("light", j.GetProperty("mode").GetString());
        Assert.Equal(100, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, j.GetProperty("reordered").GetInt32());
    }

    [Fact]
    public void PerPacketOutputPrintsOneLinePerReply()
    {
        var r = Binary.Run($"ping -c 5 -i 0.01 -L 1 -R {_server.Endpoint}");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n').Where(l => l.StartsWith("seq=")).ToArray();
        Assert.Equal(5, lines.Length);
        Assert.Contains("5 sent, 5 received, 0 lost", r.Stdout);
    }

    [Fact]
    public async Task ManyConcurrentClientsAreAllServed()
    {
        var runs = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            Binary.Run($"ping -c 50 -i 0.005 -L 1 {(i % 2 == 0 ? "" : $"-m enc -u alice -k {_keys}")} --json {_server.Endpoint}"))).ToArray();
        foreach (var r in await Task.WhenAll(runs)) Assert.Equal(50, Json(r).GetProperty("packets_received").GetInt32());
    }
}
