using System.Text.Json;
using TwampProbe.Cli;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Cli;

/// <summary><c>ping --light</c> in process against a hand-written reflector on loopback UDP.</summary>
public sealed class PingLightTests
{
    static async Task<(int Exit, string Output)> PingAsync(FakeReflector reflector, params string[] extra)
    {
        var output = new StringWriter();
        var options = PingOptions.Parse([.. extra, "--light", "-c", "20", "-i", "0.002", "-L", "0.5", $"127.0.0.1:{reflector.EndPoint.Port}"]);
        int exit = await PingCommand.RunAsync(options, output, TestServer.Timeout(20));
        return (exit, output.ToString());
    }

    [Fact]
    public async Task ThirtyEightOctetRepliesAreMeasuredWithTtlUnknownAndTheReflectorFlagged()
    {
        using var reflector = new FakeReflector(replyLength: 38);
        var (exit, json) = await PingAsync(reflector, "--json");
        Assert.True(exit == ExitCode.Ok, json);
        var j = JsonDocument.Parse(json).RootElement;
        Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, j.GetProperty("invalid").GetInt32());
        Assert.False(j.GetProperty("reflector_conforming").GetBoolean());
        Assert.Equal(20, j.GetProperty("short_replies").GetInt32());
        // Unknown, not 0 and not 255.
        Assert.Equal(JsonValueKind.Null, j.GetProperty("forward_ttl").ValueKind);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("forward_hops").ValueKind);
        Assert.True(j.GetProperty("rtt_us").GetProperty("min").GetDouble() > 0);

        var (_, text) = await PingAsync(reflector);
        Assert.Single(text.Split('\n'), l => l.StartsWith("note: non-conforming reflector: sends short replies"));
        Assert.Contains("forward hops = unknown", text);
        Assert.Contains("20 sent, 20 received, 0 lost", text);
    }

    [Fact]
    public async Task ConformingRepliesAreNotFlagged()
    {
        using var reflector = new FakeReflector(replyLength: 41);
        var (exit, json) = await PingAsync(reflector, "--json");
        Assert.True(exit == ExitCode.Ok, json);
        var j = JsonDocument.Parse(json).RootElement;
        Assert.True(j.GetProperty("reflector_conforming").GetBoolean());
        Assert.Equal(0, j.GetProperty("short_replies").GetInt32());
        Assert.Equal(255, j.GetProperty("forward_ttl").GetInt32());
        var (_, text) = await PingAsync(reflector);
        Assert.DoesNotContain("non-conforming", text);
    }

    [Fact]
    public async Task JsonReportsWhatTheMeasurementCostTheSender()
    {
        using var reflector = new FakeReflector(replyLength: 41);
        var (exit, json) = await PingAsync(reflector, "--json");
        Assert.True(exit == ExitCode.Ok, json);
        var cpu = JsonDocument.Parse(json).RootElement.GetProperty("sender_cpu");
        Assert.Equal(20, cpu.GetProperty("replies_read").GetInt64());
        long busy = cpu.GetProperty("send_busy_ns").GetInt64(), rx = cpu.GetProperty("receive_cpu_ns").GetInt64();
        Assert.True(busy > 0 && rx > 0, json);
        Assert.Equal(Math.Round(busy / 20.0, 1), cpu.GetProperty("send_busy_ns_per_packet").GetDouble(), 3);
        Assert.Equal(Math.Round(rx / 20.0, 1), cpu.GetProperty("receive_cpu_ns_per_reply").GetDouble(), 3);
    }

    [Theory]
    [InlineData(37)] // Sender Error Estimate cut
    [InlineData(30)] // Sender Timestamp cut
    public async Task RepliesShorterThanTheTimestampFieldsAreDroppedAsInvalid(int length)
    {
        using var reflector = new FakeReflector(replyLength: length);
        var (exit, json) = await PingAsync(reflector, "--json");
        Assert.Equal(ExitCode.AllLost, exit);
        var j = JsonDocument.Parse(json).RootElement;
        Assert.Equal(0, j.GetProperty("packets_received").GetInt32());
        Assert.Equal(20, j.GetProperty("invalid").GetInt32());
        Assert.Equal(0, j.GetProperty("short_replies").GetInt32());
    }

    [Fact]
    public async Task ReportShowsTheRealLocalAddressNotTheWildcard()
    {
        using var reflector = new FakeReflector();
        var (_, json) = await PingAsync(reflector, "--json");
        var sender = JsonDocument.Parse(json).RootElement.GetProperty("sender").GetString()!;
        Assert.StartsWith("127.0.0.1:", sender);
        Assert.NotEqual("127.0.0.1:0", sender);
        var (_, text) = await PingAsync(reflector);
        Assert.Matches(@"--- twampprobe statistics from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+ ---", text);
        Assert.DoesNotContain("0.0.0.0", text);
    }
}
