using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// The reflector in b answers from the address each request came to — here b's secondary address,
/// which routing would not choose — on the wildcard-bound UDP 862 socket and on a wildcard-bound
/// TWAMP Light socket. The Session-Sender only accepts replies from the address it sent to (as does
/// any sender that connects its socket), so a reply from the primary address would be 100 % loss.
/// </summary>
public sealed class SecondaryAddressTests : IDisposable
{
    const int LightPort = 19862;
    readonly Topology _net = new();
    readonly ServerProcess _server;

    public SecondaryAddressTests()
    {
        Assert.True(Environment.UserName == "root", "network namespaces need root (CI runs as root)");
        _server = new ServerProcess($"--test-ports 19000-19100 --light-listen [::]:{LightPort} --light-allow 10.77.1.0/24 --light-allow fd77:1::/64",
            address: "::", controlPort: 862, prefix: $"ip netns exec {_net.B}");
    }

    public void Dispose()
    {
        _server.Dispose();
        _net.Dispose();
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
    [InlineData(Topology.BSecondary4)]
    [InlineData("[" + Topology.BSecondary6 + "]")]
    public void TwampSessionOnUdp862ToTheSecondaryAddressHasNoLoss(string target)
    {
        // -P 862: the session shares the wildcard socket bound at start-up (RFC 8545 §5).
        var j = Ping($"-P 862 {target}");
        Assert.EndsWith(":862", j.GetProperty("reflector").GetString());
        Assert.Equal(20, j.GetProperty("packets_sent").GetInt32());
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, j.GetProperty("invalid").GetInt32());
    }

    [Theory]
    [InlineData(Topology.BSecondary4)]
    [InlineData("[" + Topology.BSecondary6 + "]")]
    public void TwampLightToTheSecondaryAddressHasNoLoss(string target)
    {
        var j = Ping($"--light {target}:{LightPort}");
        Assert.Equal("light", j.GetProperty("mode").GetString());
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, j.GetProperty("invalid").GetInt32());
    }
}
