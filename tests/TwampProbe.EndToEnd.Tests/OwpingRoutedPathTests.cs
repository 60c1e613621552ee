using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// <c>owping</c> over a routed hop (namespaces a — r — b, server in b): one hop each way in the TTL of
/// the records, the Type-P DSCP on the server's test packets, over IPv4 and IPv6; UDP 861 requested
/// (free inside the namespace) is the port the server receives on.
/// </summary>
public sealed class OwpingRoutedPathTests : IDisposable
{
    readonly Topology _net = new();
    readonly ServerProcess _server;

    public OwpingRoutedPathTests()
    {
        Assert.True(Environment.UserName == "root", "network namespaces need root (CI runs as root)");
        _server = new ServerProcess("--test-ports 19000-19100 --owamp-listen [::]:861", address: "::", controlPort: 862, prefix: $"ip netns exec {_net.B}");
    }

    public void Dispose()
    {
        _server.Dispose();
        _net.Dispose();
    }

    [Theory]
    [InlineData(Topology.BAddress4)]
    [InlineData("[" + Topology.BAddress6 + "]")]
    public void OneRoutedHopEachWayAndTheDscpArrives(string target)
    {
        var r = Binary.RunFile("ip", $"netns exec {_net.A} {Binary.Path} owping -c 20 -i 0.005 -L 0.5 -D 46 --receiver-port 861 --json {target}", 60_000);
        Assert.True(r.ExitCode == 0, $"{r.Stdout}\n{r.Stderr}\n{_server.LogText}");
        var j = JsonDocument.Parse(r.Stdout).RootElement;
        foreach (var name in new[] { "send", "receive" })
        {
            var d = j.GetProperty(name);
            Assert.Equal(20, d.GetProperty("packets_received").GetInt32());
            // Both senders use TTL 255 (RFC 4656 §4.1.2); one router on the way: 254 arrives.
            Assert.Equal(254, d.GetProperty("ttl").GetInt32());
            Assert.Equal(1, d.GetProperty("hops").GetInt32());
        }
        // The server's sender honours the Type-P DSCP (RFC 4656 §3.5, Conf-Sender): seen by our receiver.
        Assert.Equal(46, j.GetProperty("receive").GetProperty("dscp").GetInt32());
        Assert.EndsWith(":861", j.GetProperty("send").GetProperty("to").GetString());
    }
}
