using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// TWAMP Light and negotiated TWAMP sessions share UDP 862: a packet from a negotiated sender
/// belongs to its session, any other from an allowed source is reflected as Light. The server listens on
/// 127.0.0.3, an address of its own: every server binds UDP 862 on its listen address at start-up, and
/// those of the tests running beside this one are on 127.0.0.1.
/// </summary>
public sealed class LightOn862Tests
{
    static JsonElement Json(Binary.Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    [Fact]
    public async Task LightAndFullTwampShareUdp862()
    {
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--test-ports {lo}-{hi} --light-listen 127.0.0.3:862 --light-allow 127.0.0.0/8", address: "127.0.0.3");
        Assert.Contains("TWAMP Light on UDP 127.0.0.3:862 shares the TWAMP-Test socket", server.LogText);

        var full = Task.Run(() => Binary.Run($"ping -c 200 -i 0.005 -L 1 -P 862 --json {server.Endpoint}"));
        var light = Task.Run(() => Binary.Run("ping --light -c 200 -i 0.005 -L 1 --json 127.0.0.3:862"));
        var f = Json(await full);
        var l = Json(await light);

        Assert.EndsWith(":862", f.GetProperty("reflector").GetString());
        Assert.Equal(200, f.GetProperty("packets_received").GetInt32());
        Assert.Equal("light", l.GetProperty("mode").GetString());
        Assert.Equal(200, l.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, server.Stop());
    }
}
