using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TwampProbe.Bench;

/// <summary>
/// The Session-Sender's own cost per packet, mode by mode: the shipped binary's <c>twampprobe ping --json</c>
/// against the bench's server, its "sender_cpu" (the send loop's work per packet without its waiting, which
/// spins; the receive thread's CPU per reply: see SenderCost in the product). Runs are interleaved
/// (unauth, auth, enc, unauth, …) and the median of the repeats is kept, so a slow moment of the machine
/// does not land on one mode only.
/// </summary>
static partial class Program
{
    // 5, not 3: on a VM the 10k points vary by ±20 % from run to run (wake-ups, steal), more than the modes differ.
    static int _repeats = 5;

    sealed record SenderCostRun(string Mode, double Rate, long Sent, long Received, long SendBusyNs, long ReceiveCpuNs, long RepliesRead, double WallS)
    {
        public double SendNsPerPacket => Sent == 0 ? double.NaN : (double)SendBusyNs / Sent;
        public double ReceiveNsPerReply => RepliesRead == 0 ? double.NaN : (double)ReceiveCpuNs / RepliesRead;
        public double NsPerPacket => SendNsPerPacket + ReceiveNsPerReply;
    }

    sealed record SenderCostPoint(string Mode, double Rate, SenderCostRun Median, double[] Runs)
    {
        public JsonObject ToJson() => new()
        {
            ["mode"] = Mode,
            ["requested_pps"] = Rate,
            ["sent"] = Median.Sent,
            ["received"] = Median.Received,
            ["achieved_pps"] = Math.Round(Median.Sent / Math.Max(Median.WallS, 1e-9)),
            ["send_busy_ns_per_packet"] = Math.Round(Median.SendNsPerPacket, 1),
            ["receive_cpu_ns_per_reply"] = Math.Round(Median.ReceiveNsPerReply, 1),
            ["ns_per_packet"] = Math.Round(Median.NsPerPacket, 1),
            ["ns_per_packet_runs"] = new JsonArray([.. Runs.Select(r => (JsonNode)Math.Round(r, 1))]),
        };
    }

    static readonly string[] CostModes = ["unauth", "auth", "enc"];

    static List<SenderCostPoint> RunSenderCosts(string keyPath)
    {
        var points = new List<SenderCostPoint>();
        foreach (var rate in Loads)
        {
            var runs = CostModes.ToDictionary(m => m, _ => new List<SenderCostRun>());
            for (int rep = 0; rep < _repeats; rep++)
                foreach (var mode in CostModes)
                {
                    Log($"sender cost {mode} {rate} pps (run {rep + 1} of {_repeats})");
                    runs[mode].Add(RunSenderCost(mode, rate, keyPath));
                }
            foreach (var mode in CostModes)
            {
                var sorted = runs[mode].OrderBy(r => r.NsPerPacket).ToArray();
                points.Add(new SenderCostPoint(mode, rate, sorted[sorted.Length / 2], [.. runs[mode].Select(r => r.NsPerPacket)]));
            }
        }
        return points;
    }

    /// <summary>One <c>twampprobe ping</c> on CPU <see cref="GeneratorCpu"/>, SCHED_OTHER at nice −20 as an operator runs it.</summary>
    static SenderCostRun RunSenderCost(string mode, double rate, string keyPath)
    {
        int count = (int)(rate * _duration.TotalSeconds);
        string security = mode == "unauth" ? "-m unauth" : $"-m {mode} -u bench -k {keyPath}";
        string cmd = F($"exec chrt -o 0 nice -n -20 taskset -c {GeneratorCpu} {_bin} ping --json -c {count} -i {1 / rate:0.#########} -L 0.5 {security} 127.0.0.1:{ControlPort}");
        var psi = new ProcessStartInfo("/bin/sh", ["-c", cmd]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        double wall = sw.Elapsed.TotalSeconds;
        if (p.ExitCode is not (0 or 1))
            throw new InvalidOperationException($"ping exited {p.ExitCode}: {stderr.Result.Trim()} ({cmd})");
        var j = JsonDocument.Parse(stdout).RootElement;
        var c = j.GetProperty("sender_cpu");
        return new SenderCostRun(mode, rate, j.GetProperty("packets_sent").GetInt64(), j.GetProperty("packets_received").GetInt64(),
            c.GetProperty("send_busy_ns").GetInt64(), c.GetProperty("receive_cpu_ns").GetInt64(), c.GetProperty("replies_read").GetInt64(),
            // The ping's own wall time less its -L wait for late replies: close to the sending time.
            Math.Max(wall - 0.5, 1e-3));
    }

    static void SenderCostGoals(JsonArray goals, List<SenderCostPoint> points)
    {
        foreach (var mode in new[] { "auth", "enc" })
        {
            var xs = Loads.Select(r => (Rate: r, X: SenderCostOf(points, mode, r) / SenderCostOf(points, "unauth", r))).ToArray();
            goals.Add(new JsonObject
            {
                ["goal"] = $"sender {mode} <= 1.10x unauth (sender CPU/pkt: send work + receive thread)",
                ["met"] = xs.All(x => x.X <= CryptoBench.Goal),
                ["measured"] = string.Join(", ", xs.Select(x => F($"{x.X:0.00}x @{x.Rate / 1000:0}k"))),
            });
        }
    }

    static double SenderCostOf(List<SenderCostPoint> ps, string mode, double rate) =>
        ps.First(p => p.Mode == mode && p.Rate == rate).Median.NsPerPacket;

    static string SenderCostReport(List<SenderCostPoint> points)
    {
        var sb = new StringBuilder();
        void L(FormattableString s) => sb.AppendLine(s.ToString(Inv));
        L($"### Sender cost per packet (`twampprobe ping --json` \"sender_cpu\", CPU {GeneratorCpu}, nice −20; median of {_repeats} interleaved runs)");
        L($"");
        L($"The send loop's work per packet (packet due → sendmsg returned: header, T1, protection, send; not the spinning wait) plus the receive thread's CPU per reply (recvmmsg, verify/decrypt, statistics; wake-ups included).");
        L($"");
        L($"| mode | load pps | sent | received | send ns/pkt | receive ns/reply | ns/pkt | × unauth | runs ns/pkt |");
        L($"|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var rate in Loads)
            foreach (var mode in CostModes)
            {
                var p = points.First(x => x.Mode == mode && x.Rate == rate);
                double un = SenderCostOf(points, "unauth", rate);
                string xu = mode == "unauth" ? "" : F($"{p.Median.NsPerPacket / un:0.00}");
                L($"| {mode} | {rate:0} | {p.Median.Sent} | {p.Median.Received} | {p.Median.SendNsPerPacket:0} | {p.Median.ReceiveNsPerReply:0} | {p.Median.NsPerPacket:0} | {xu} | {string.Join(" ", p.Runs.Select(r => F($"{r:0}")))} |");
            }
        L($"");
        return sb.ToString();
    }
}
