using System.Text.Json;
using TwampProbe.Cli;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Cli;

/// <summary>
/// The ping report on known paths: <c>ping --light</c> in process against <see cref="ScriptedReflector"/>
/// on loopback, with losses each way, late replies past <c>-L</c>, duplicates and the two ways a Light
/// reflector numbers its replies.
/// </summary>
public sealed class PingReportTests
{
    static async Task<(int Exit, string Output)> PingAsync(ScriptedReflector reflector, string count, string interval, string lossThreshold, params string[] extra)
    {
        var output = new StringWriter();
        var options = PingOptions.Parse([.. extra, "--light", "-c", count, "-i", interval, "-L", lossThreshold, $"127.0.0.1:{reflector.Port}"]);
        int exit = await PingCommand.RunAsync(options, output, TestServer.Timeout(20));
        return (exit, output.ToString());
    }

    static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public async Task LossesEachWayAndALateReplyAreToldApart()
    {
        // 10 packets 100 ms apart, -L 0.3: 3 lost on the way out, the reply to 6 lost on the way back,
        // the reply to 1 held 600 ms (after -L, but well before the sender stops listening, 300 ms after packet 9).
        using var reflector = new ScriptedReflector(lostForward: [3], lostBackward: [6], delayed: new() { [1] = TimeSpan.FromMilliseconds(600) });
        var (exit, json) = await PingAsync(reflector, "10", "0.1", "0.3", "--json");
        Assert.True(exit == ExitCode.Ok, json);
        var j = Json(json);
        Assert.Equal((10, 7, 3), (j.GetProperty("packets_sent").GetInt32(), j.GetProperty("packets_received").GetInt32(), j.GetProperty("packets_lost").GetInt32()));
        Assert.True(j.GetProperty("late").GetInt32() == 1, json);
        Assert.Equal(0.3, j.GetProperty("loss_threshold_s").GetDouble());
        Assert.True(j.GetProperty("directional_loss_known").GetBoolean(), json);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("directional_loss_note").ValueKind);
        Assert.Equal((1, 1, 0), (j.GetProperty("forward_lost").GetInt32(), j.GetProperty("backward_lost").GetInt32(), j.GetProperty("lost_direction_unknown").GetInt32()));
        Assert.Equal((3, 1), (j.GetProperty("loss_bursts").GetInt32(), j.GetProperty("longest_loss_burst").GetInt32()));
        // The late reply is not measured: its 400 ms are nowhere in the delays.
        Assert.True(j.GetProperty("rtt_us").GetProperty("max").GetDouble() < 300_000, json);
        Assert.Equal(7, j.GetProperty("packets_received").GetInt32());
    }

    [Fact]
    public async Task TextReportShowsDirectionsLateAndBothJitters()
    {
        using var reflector = new ScriptedReflector(lostForward: [2], lostBackward: [5], duplicated: [7]);
        var (exit, text) = await PingAsync(reflector, "10", "0.005", "0.5");
        Assert.True(exit == ExitCode.Ok, text);
        Assert.Contains("10 sent, 8 received, 2 lost (20.000%), 1 duplicates, 0 reordered, 0 invalid", text);
        Assert.Contains("directional loss: 1 forward (send), 1 backward (reflect), 0 direction unknown (no reply after them); 0 late (reply after -L 0.5 s, counted lost); 2 loss bursts, longest 1", text);
        Assert.Contains("send/reflect duplicates = 0/1, send/reflect reordered = 0/0 (RFC 4737)", text);
        Assert.Matches(@"round-trip time min/median/p90/p95/p99/max = [\d.]+/[\d.]+/[\d.]+/[\d.]+/[\d.]+/[\d.]+ ms, mean [\d.]+ ms", text);
        Assert.Matches(@"reflector turnaround min/median/p90/p95/p99/max = [-\d.]+(/[-\d.]+){5} us, mean [-\d.]+ us", text);
        Assert.Contains("PDV (RFC 5481, delay − min delay) p50/p90/p99 = round-trip ", text);
        Assert.Contains("IPDV (RFC 3393, signed, consecutive sequence numbers) min/median/p90/p99/max = round-trip ", text);
        Assert.Contains("jitter (IPDV, mean |Δ|) round-trip/forward/backward = ", text);
        Assert.Matches(@"two-way/send/reflect jitter = [\d.]+/[-\d.]+/[-\d.]+ ms \(P95-P50 of delay, as twping\)", text);
    }

    [Fact]
    public async Task LightReflectorCopyingTheSenderNumberLeavesTheDirectionUnknown()
    {
        using var reflector = new ScriptedReflector(copySequence: true, lostForward: [2]);
        var (exit, json) = await PingAsync(reflector, "5", "0.005", "0.5", "--json");
        Assert.True(exit == ExitCode.Ok, json);
        var j = Json(json);
        Assert.Equal(1, j.GetProperty("packets_lost").GetInt32());
        Assert.False(j.GetProperty("directional_loss_known").GetBoolean());
        Assert.Contains("Sequence Number equals the sender's", j.GetProperty("directional_loss_note").GetString());
        foreach (var name in new[] { "forward_lost", "backward_lost", "lost_direction_unknown", "forward_duplicates", "backward_duplicates", "forward_reordered", "backward_reordered" })
            Assert.Equal(JsonValueKind.Null, j.GetProperty(name).ValueKind);

        var (_, text) = await PingAsync(reflector, "5", "0.005", "0.5");
        Assert.Contains("directional loss unknown: every reply's Sequence Number equals the sender's, as a TWAMP Light reflector without session state copies it (RFC 5357 Appendix I)", text);
        Assert.DoesNotContain("send/reflect duplicates", text);
    }

    [Fact]
    public async Task EveryDelayObjectHasTheFullSetOfStatistics()
    {
        using var reflector = new ScriptedReflector();
        var (exit, json) = await PingAsync(reflector, "20", "0.002", "0.5", "--json");
        Assert.True(exit == ExitCode.Ok, json);
        var j = Json(json);
        var objects = new[]
        {
            j.GetProperty("rtt_us"), j.GetProperty("turnaround_us"), j.GetProperty("forward_delay_us"), j.GetProperty("backward_delay_us"),
            j.GetProperty("pdv_us").GetProperty("rtt"), j.GetProperty("pdv_us").GetProperty("forward"), j.GetProperty("pdv_us").GetProperty("backward"),
            j.GetProperty("ipdv_us").GetProperty("rtt"), j.GetProperty("ipdv_us").GetProperty("forward"), j.GetProperty("ipdv_us").GetProperty("backward"),
        };
        foreach (var o in objects)
            foreach (var key in new[] { "min", "p50", "p90", "p99", "max", "mean", "median", "p95" })
                Assert.Equal(JsonValueKind.Number, o.GetProperty(key).ValueKind);
        var rtt = j.GetProperty("rtt_us");
        Assert.Equal(rtt.GetProperty("p50").GetDouble(), rtt.GetProperty("median").GetDouble());
        Assert.True(rtt.GetProperty("min").GetDouble() <= rtt.GetProperty("p50").GetDouble()
            && rtt.GetProperty("p50").GetDouble() <= rtt.GetProperty("p90").GetDouble()
            && rtt.GetProperty("p90").GetDouble() <= rtt.GetProperty("p99").GetDouble()
            && rtt.GetProperty("p99").GetDouble() <= rtt.GetProperty("max").GetDouble());
        Assert.Equal(0.0, j.GetProperty("pdv_us").GetProperty("rtt").GetProperty("min").GetDouble());
        var jitter = j.GetProperty("twping_jitter_us");
        Assert.Equal(Math.Round(rtt.GetProperty("p95").GetDouble() - rtt.GetProperty("p50").GetDouble(), 3), jitter.GetProperty("rtt").GetDouble(), 3);
        Assert.True(j.GetProperty("ipdv_us").GetProperty("rtt_mean").GetDouble() >= 0); // |IPDV|, as before
    }

    [Fact]
    public async Task OneReplyPrintsNoNan()
    {
        using var reflector = new ScriptedReflector();
        var (exit, json) = await PingAsync(reflector, "1", "0.01", "0.3", "--json");
        Assert.True(exit == ExitCode.Ok, json);
        Assert.DoesNotContain("nan", json, StringComparison.OrdinalIgnoreCase);
        var j = Json(json);
        Assert.Equal(0.0, j.GetProperty("pdv_us").GetProperty("rtt").GetProperty("p99").GetDouble());
        Assert.Equal(JsonValueKind.Null, j.GetProperty("ipdv_us").GetProperty("rtt").GetProperty("p50").ValueKind);
        Assert.Equal(0.0, j.GetProperty("twping_jitter_us").GetProperty("rtt").GetDouble());

        var (_, text) = await PingAsync(reflector, "1", "0.01", "0.3");
        Assert.DoesNotContain("nan", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("min/median/p90/p99/max = round-trip -/-/-/-/-, forward -/-/-/-/-, backward -/-/-/-/- ms", text);
    }

    [Fact]
    public async Task NoRepliesLeaveEveryStatisticEmpty()
    {
        using var reflector = new ScriptedReflector(lostForward: [0, 1, 2]);
        var (exit, json) = await PingAsync(reflector, "3", "0.01", "0.2", "--json");
        Assert.Equal(ExitCode.AllLost, exit);
        Assert.DoesNotContain("nan", json, StringComparison.OrdinalIgnoreCase);
        var j = Json(json);
        Assert.Equal((3, 0, 1, 3), (j.GetProperty("packets_lost").GetInt32(), j.GetProperty("late").GetInt32() , j.GetProperty("loss_bursts").GetInt32(), j.GetProperty("longest_loss_burst").GetInt32()));
        Assert.Equal(JsonValueKind.Null, j.GetProperty("rtt_us").GetProperty("p90").ValueKind);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("pdv_us").GetProperty("rtt").GetProperty("p99").ValueKind);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("twping_jitter_us").GetProperty("rtt").ValueKind);
        Assert.False(j.GetProperty("directional_loss_known").GetBoolean());

        var (_, text) = await PingAsync(reflector, "3", "0.01", "0.2");
        Assert.Contains("3 sent, 0 received, 3 lost (100.000%)", text);
        Assert.Contains("directional loss unknown: no reply came back", text);
        Assert.Contains("no replies received", text);
    }
    [Fact]
    public async Task PerReplyRecordsRecomputeTheSummary()
    {
        // -R --json: every record carries T1, the TX timestamp (or null), the departure time the summary used and
        // T2-T4, so that each record's round trip, and the summary's percentiles, can be recomputed from them.
        using var reflector = new ScriptedReflector();
        var (exit, json) = await PingAsync(reflector, "60", "0.002", "0.5", "--json", "-R");
        Assert.True(exit == ExitCode.Ok, json);
        var j = Json(json);
        string source = j.GetProperty("departure_source").GetString()!;
        Assert.Contains(source, new[] { "kernel", "hardware", "t1" });
        var replies = j.GetProperty("replies").EnumerateArray().ToArray();
        Assert.Equal(j.GetProperty("packets_received").GetInt32(), replies.Length);
        Assert.Equal(replies.Count(r => r.GetProperty("tx_unix_ns").ValueKind == JsonValueKind.Null), j.GetProperty("replies_without_tx_timestamp").GetInt32());
        var rtts = new List<double>();
        foreach (var r in replies)
        {
            long departure = r.GetProperty("departure_unix_ns").GetInt64();
            Assert.Equal(source == "t1" ? r.GetProperty("t1_unix_ns").GetInt64() : r.GetProperty("tx_unix_ns").GetInt64(), departure);
            long t2 = r.GetProperty("t2_unix_ns").GetInt64(), t3 = r.GetProperty("t3_unix_ns").GetInt64(), t4 = r.GetProperty("t4_unix_ns").GetInt64();
            double rtt = ((t4 - departure) - (t3 - t2)) / 1e3;
            Assert.Equal(rtt, r.GetProperty("rtt_us").GetDouble(), 3);
            Assert.Equal((t2 - departure) / 1e3, r.GetProperty("forward_us").GetDouble(), 3);
            rtts.Add(rtt);
        }
        rtts.Sort();
        var summary = j.GetProperty("rtt_us");
        Assert.Equal(rtts[0], summary.GetProperty("min").GetDouble(), 3);
        Assert.Equal(rtts[(int)Math.Ceiling(0.5 * rtts.Count) - 1], summary.GetProperty("p50").GetDouble(), 3); // nearest rank
        Assert.Equal(rtts[^1], summary.GetProperty("max").GetDouble(), 3);

        // RFC 4656 §4.1.2 error estimates, as twping prints them: the scripted reflector says 2⁻³² s (multiplier 1,
        // scale 0) for T2 and T3; a one-way delay adds the sender's, a round trip has all four timestamps.
        var err = j.GetProperty("error_estimate_us");
        Assert.True(err.GetProperty("forward").GetDouble() >= 0.000232, json);
        Assert.Equal(err.GetProperty("forward").GetDouble(), err.GetProperty("backward").GetDouble());
        Assert.Equal(2 * err.GetProperty("forward").GetDouble(), err.GetProperty("rtt").GetDouble(), 6);

        var (_, text) = await PingAsync(reflector, "5", "0.002", "0.5");
        Assert.Matches(@"round-trip time min/median/p90/p95/p99/max = .* ms, mean [\d.]+ ms \(err=±[\d.e+-]+ ms\)", text);
        Assert.Matches(@"forward \(send\) delay .* \(err=±[\d.e+-]+ ms\)", text);
        Assert.Matches(@"timestamps: (kernel|hardware|user space)   departure: (kernel TX timestamp|hardware TX timestamp|T1 \(user space, before sendmsg)", text);
    }

    [Fact]
    public async Task DuplicatesAndLateRepliesAreMarkedInThePerReplyLines()
    {
        // -R, text: the duplicate of 2 and the reply to 4 (held 400 ms, after -L 0.3 but before the sender stops
        // listening, 300 ms after packet 7 at 700 ms) are shown, marked, beside the measured ones.
        using var reflector = new ScriptedReflector(duplicated: [2], delayed: new() { [4] = TimeSpan.FromMilliseconds(400) });
        var (exit, text) = await PingAsync(reflector, "8", "0.1", "0.3", "-R");
        Assert.True(exit == ExitCode.Ok, text);
        var lines = text.Split('\n');
        Assert.True(lines.Count(l => l.StartsWith("seq=2 ", StringComparison.Ordinal) && l.EndsWith(" DUPLICATE (not measured)", StringComparison.Ordinal)) == 1, text);
        Assert.Single(lines, l => l.StartsWith("seq=2 ", StringComparison.Ordinal) && !l.Contains("DUPLICATE", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("seq=4 ", StringComparison.Ordinal) && l.EndsWith(" LATE (after -L 0.3 s, counted lost)", StringComparison.Ordinal));
        Assert.Matches(@"seq=0 rtt=[\d.]+ ms turnaround=[-\d.]+ us fwd=[-\d.]+ ms bwd=[-\d.]+ ms fwd_ttl=\d+ reply_dscp=\d+", text);
        Assert.Contains("1 duplicates", text);
        Assert.Contains("1 late", text);
    }
}
