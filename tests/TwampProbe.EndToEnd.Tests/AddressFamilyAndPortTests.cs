using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

public sealed class AddressFamilyAndPortTests
{
    [Fact]
    public void Ipv6ServerAndClientMeasureInEveryMode()
    {
        using var dir = new TempDir();
        var keys = Binary.WriteKeyFile(dir.Path, "bob", "v6-secret");
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--keyfile {keys} --test-ports {lo}-{hi}", address: "::1");
        foreach (var mode in new[] { "unauth", "auth", "enc", "mixed" })
        {
            var auth = mode == "unauth" ? "" : $"-u bob -k {keys}";
            var r = Binary.Run($"ping -c 20 -i 0.005 -L 0.5 -m {mode} {auth} --json {server.Endpoint}");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var j = JsonDocument.Parse(r.Stdout).RootElement;
            Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
            Assert.StartsWith("[::1]:", j.GetProperty("reflector").GetString());
            Assert.Equal(255, j.GetProperty("forward_ttl").GetInt32());
        }
    }

    [Fact]
    public async Task WellKnownTestPort862IsGrantedAndSharedBetweenSenders()
    {
        // RFC 8545 §5: a client may request UDP 862 as the receiver port. Every server binds UDP 862 on
        // its listen address at start-up: this one listens on 127.0.0.2 of its own, so the servers of the
        // tests running beside it (all on 127.0.0.1) cannot hold its UDP 862.
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--test-ports {lo}-{hi}", address: "127.0.0.2");
        var runs = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            Binary.Run($"ping -c 30 -i 0.01 -L 0.5 -P 862 --json {server.Endpoint}"))).ToArray();
        foreach (var r in await Task.WhenAll(runs))
        {
            Assert.True(r.ExitCode == 0, r.Stderr);
            var j = JsonDocument.Parse(r.Stdout).RootElement;
            Assert.Equal("127.0.0.2:862", j.GetProperty("reflector").GetString());
            Assert.Equal(30, j.GetProperty("packets_received").GetInt32());
        }
    }

    [Fact]
    public void UnavailableRequestedPortIsAnsweredWithAnAlternatePort()
    {
        var (lo, hi) = Binary.PortRange(10);
        using var taken = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, lo));
        using var server = new ServerProcess($"--test-ports {lo}-{hi}");
        var r = Binary.Run($"ping -c 5 -i 0.01 -L 0.5 -P {lo} --json {server.Endpoint}");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var port = int.Parse(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("reflector").GetString()!.Split(':')[^1]);
        Assert.NotEqual(lo, port);
        Assert.InRange(port, lo, hi);
    }
}
