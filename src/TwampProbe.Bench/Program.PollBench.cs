using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using TwampProbe.Control;
using TwampProbe.Linux.Net;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Bench;

/// <summary>
/// Issue 9 §4, turnaround without wake-ups: the reflector with <c>reflector-poll busy</c> beside the
/// default epoll, at 1k and 10k packets/s, with the CPU each costs, idle and under load. Each runs
/// in a server of its own: epoll at SCHED_FIFO like the other points; busy at SCHED_OTHER nice −20
/// (a thread that never sleeps under SCHED_FIFO is paused by RT throttling for 50 ms a second, which
/// the product warns about).
/// </summary>
static partial class Program
{
    const int PollControlPort = 28630;
    const string PollTestPorts = "28700-28799";
    static readonly double[] PollRates = [1_000, 10_000];
    /// <summary><c>--only poll,many</c>: just these parts, merged into an existing results.json.</summary>
    static string[]? _only;

    /// <summary>Busy polling and many sessions, written under their own keys ("poll", "many_sessions").</summary>
    static async Task<(List<PollPoint> Poll, List<ManyPoint> Many)> RunWakeupsAndScaleAsync(JsonObject results)
    {
        var poll = _only is null || _only.Contains("poll") ? await RunPollBenchAsync() : [];
        if (poll.Count > 0) _busyFloor = RunBusyFloor();
        var many = _only is null || _only.Contains("many") ? await RunManySessionsAsync() : [];
        if (poll.Count > 0) results["poll"] = new JsonArray([.. poll.Select(p => (JsonNode)p.ToJson())]);
        if (_busyFloor is not null) results["poll_floor"] = _busyFloor.ToJson("turnaround_floor");
        if (many.Count > 0) results["many_sessions"] = new JsonArray([.. many.Select(p => (JsonNode)p.ToJson())]);
        if (_manyFloor is not null) results["many_sessions_floor"] = _manyFloor.ToJson("turnaround_floor");
        return (poll, many);
    }

    /// <summary>
    /// <c>--only</c>: runs the named parts and merges them into out/bench/results.json (the other keys,
    /// and the other goals, stay as the last full run left them).
    /// </summary>
    static async Task<int> RunOnlyAsync()
    {
        var path = Path.Combine(_out, "results.json");
        var results = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : new JsonObject { ["machine"] = Machine() };
        results["date_" + string.Join("_", _only!)] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", Inv);
        var (poll, many) = await RunWakeupsAndScaleAsync(results);
        var mine = new JsonArray();
        PollGoals(mine, poll);
        ManyGoals(mine, many);
        string modesReport = _only!.Contains("modes") ? await RunModesOnlyAsync(results, mine) : "";
        var names = mine.Select(g => (string)g!["goal"]!).ToHashSet();
        var goals = results["goals"] as JsonArray ?? [];
        foreach (var g in goals.Where(g => names.Contains((string)g!["goal"]!)).ToList()) goals.Remove(g);
        foreach (var g in mine) goals.Add(g!.DeepClone());
        results["goals"] = goals.DeepClone();
        File.WriteAllText(path, results.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine(modesReport + (poll.Count > 0 ? PollReport(poll) : "") + (many.Count > 0 ? ManyReport(many) : ""));
        foreach (var g in mine) Console.WriteLine($"| {(string)g!["goal"]!} | {(string)g["measured"]!} | {((bool)g["met"]! ? "met" : "**not met**")} |");
        Console.WriteLine($"written: {path}");
        return 0;
    }

    /// <summary>
    /// <c>--only modes</c>: the reflector's unauth/auth/enc cost at each load and the sender's, with their
    /// goals, under the keys a full run writes them ("reflector" keeps its echo and Light points from that run).
    /// </summary>
    static async Task<string> RunModesOnlyAsync(JsonObject results, JsonArray goals)
    {
        var keyPath = WriteKeyFile();
        var server = StartMainServer(keyPath);
        var points = new List<Point>();
        foreach (var rate in Loads) points.AddRange(await RunModesAsync(server, rate));
        var senderCosts = RunSenderCosts(keyPath);
        Stop(server);
        var kept = results["reflector"] is JsonArray old
            ? old.Where(p => (string)p!["mode"]! is not ("unauth" or "auth" or "enc" or SameSizeUnauth)).Select(p => p!.DeepClone()).ToList()
            : [];
        results["reflector"] = new JsonArray([.. kept, .. points.Select(p => (JsonNode)p.ToJson())]);
        results["sender_cost"] = new JsonArray([.. senderCosts.Select(p => (JsonNode)p.ToJson())]);
        var crypto = CryptoBench.Measure();
        results["crypto_per_packet"] = crypto;
        results["crypto_mode_ratios"] = CryptoBench.Ratios(goals, Loads, (m, r) => Find(points, m, r)?.NsPerPacket ?? double.NaN,
            (m, r) => SenderCostOf(senderCosts, m, r), crypto);
        SenderCostGoals(goals, senderCosts);
        var sb = new System.Text.StringBuilder();
        foreach (var p in points)
            sb.AppendLine(F($"reflector {p.Mode} {p.Rate:0} pps: {p.NsPerPacket:0} ns/pkt (runs {string.Join(" ", p.Runs!.Select(r => F($"{r:0}")))}), loss {p.Load.LossPercent:0.000} %"));
        return sb + "\n" + SenderCostReport(senderCosts);
    }

    sealed record PollPoint(string Poll, string Scheduling, double IdleCpuPercent, Point Point)
    {
        /// <summary>Turnaround p50 (µs) of every repeat when this point is their median.</summary>
        public double[]? P50Runs { get; init; }

        public JsonObject ToJson()
        {
            var o = Point.ToJson();
            if (P50Runs is not null) o["turnaround_us_p50_runs"] = new JsonArray([.. P50Runs.Select(x => (JsonNode)Math.Round(x, 2))]);
            o["reflector_poll"] = Poll;
            o["scheduling"] = Scheduling;
            o["idle_thread_cpu_percent"] = Math.Round(IdleCpuPercent, 3);
            return o;
        }
    }

    /// <summary>
    /// A server of its own on <paramref name="controlPort"/>. <paramref name="fifo"/>: like the other
    /// points, the whole process SCHED_FIFO and confined to the reflector CPU. Otherwise as the product
    /// runs busy polling: only the reflector thread pinned there (reflector-cpu), the other threads
    /// free to run elsewhere — confined to the CPU a thread spins on, they would never run.
    /// </summary>
    static Process StartServer(string name, int controlPort, string testPorts, string extra, bool fifo)
    {
        var config = Path.Combine(_out, $"bench-{name}.conf");
        File.WriteAllText(config, $"""
            listen 127.0.0.1:{controlPort}
            test-ports {testPorts}
            reflector-cpu {ReflectorCpu}
            log-level warn
            {extra}

            """);
        // The bench runs at SCHED_FIFO 10 and children inherit it: chrt sets the policy explicitly.
        string sched = fifo ? $"chrt -f {FifoPriority} taskset -c {ReflectorCpu}" : "chrt -o 0 nice -n -20";
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"exec {sched} {_bin} serve -c {config} 2>>{Path.Combine(_out, $"serve-{name}.log")}"])
        { UseShellExecute = false };
        var p = Process.Start(psi)!;
        Children.Add(p);
        WaitReady(controlPort, TimeSpan.FromSeconds(10));
        return p;
    }

    static async Task<ControlClient> ConnectAsync(int controlPort, TwampModes mode)
    {
        var client = await ControlClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, controlPort), TimeSpan.FromSeconds(10), CancellationToken.None);
        await client.SetupAsync([mode], null, KeyFile.Empty, 1u << 20, CancellationToken.None);
        return client;
    }

    /// <summary>CPU % of the reflector thread over one second without a packet.</summary>
    static double IdleCpuPercent(Process server)
    {
        var window = new CpuWindow(server.Id, "reflector", ReflectorCpu);
        window.Start();
        Thread.Sleep(1000);
        var (t, _, _, w, _) = window.Stop();
        return 100.0 * t / w;
    }

    static async Task<List<PollPoint>> RunPollBenchAsync()
    {
        var points = new List<PollPoint>();
        // Busy with the reflector thread at SCHED_FIFO too (sched-fifo), to show what RT throttling does to it.
        foreach (var (poll, fifo) in new[] { ("epoll", true), ("busy", false), ("busy", true) })
        {
            Log($"reflector-poll {poll}{(fifo ? " SCHED_FIFO" : "")}");
            string extra = $"reflector-poll {poll}" + (poll == "busy" && fifo ? $"\nsched-fifo {FifoPriority}" : "");
            var server = StartServer($"poll-{poll}", PollControlPort, PollTestPorts, extra, fifo: poll == "epoll");
            try
            {
                using var client = await ConnectAsync(PollControlPort, TwampModes.Unauthenticated);
                using var target = await RequestAsync(client, 8 << 20);
                var ack = await client.StartSessionsAsync(CancellationToken.None);
                if (ack != AcceptCode.Ok) throw new InvalidOperationException($"Start-Sessions refused: {ack}");
                double idle = IdleCpuPercent(server);
                foreach (var rate in PollRates)
                {
                    // The goal's point (busy, SCHED_OTHER, 1k pps) is run _repeats times and its median kept:
                    // a microsecond p50 moves from run to run on a VM.
                    int runs = poll == "busy" && !fifo && rate == 1_000 ? _repeats : 1;
                    var measured = new List<Point>();
                    for (int r = 0; r < runs; r++)
                    {
                        Log($"reflector-poll {poll} {rate} pps{(runs > 1 ? $" (run {r + 1} of {runs})" : "")}");
                        measured.Add(Measure(server, "reflector", "unauth", rate, new LoadGenerator([target], rate, _duration, 250_000)));
                    }
                    var sorted = measured.OrderBy(m => Pct(m.Load.TurnaroundNs, 50)).ToArray();
                    points.Add(new PollPoint(poll, fifo ? $"SCHED_FIFO {FifoPriority}" : "SCHED_OTHER nice −20", idle, sorted[sorted.Length / 2])
                    {
                        P50Runs = runs > 1 ? [.. measured.Select(m => Pct(m.Load.TurnaroundNs, 50) / 1e3)] : null,
                    });
                }
                await client.StopSessionsAsync(AcceptCode.Ok, 1, CancellationToken.None);
            }
            finally { Stop(server); }
        }
        return points;
    }

    static CFloor? _busyFloor;

    /// <summary>
    /// What the kernel and a minimal C program need for the busy-polling turnaround on this machine: the same
    /// generator at 1k pps against echo.c -b (CLOCK_REALTIME before sendmmsg − kernel RX timestamp), pinned and
    /// scheduled like the busy reflector.
    /// </summary>
    static CFloor RunBusyFloor() => RunCFloor(
        "scripts/bench/echo.c -b: busy-polling C echo, CLOCK_REALTIME before sendmmsg - kernel RX timestamp, 1k pps, SCHED_OTHER nice -20 on the reflector CPU",
        "-b", "turnaround floor", EchoBusyPort, 1_000, _duration, "chrt -o 0 nice -n -20", byP99: false);

    static void PollGoals(JsonArray goals, List<PollPoint> points)
    {
        void Goal(string name, bool met, string measured) =>
            goals.Add(new JsonObject { ["goal"] = name, ["met"] = met, ["measured"] = measured });
        // The goal is judged as the product recommends running busy polling: SCHED_OTHER on its own CPU.
        var busy = points.FirstOrDefault(p => p.Poll == "busy" && p.Scheduling.StartsWith("SCHED_OTHER", StringComparison.Ordinal) && p.Point.Rate == 1_000);
        var epoll = points.FirstOrDefault(p => p.Poll == "epoll" && p.Point.Rate == 1_000);
        if (busy is not null)
        {
            double p50 = Pct(busy.Point.Load.TurnaroundNs, 50) / 1e3, p99 = Pct(busy.Point.Load.TurnaroundNs, 99) / 1e3;
            string beside = epoll is null ? "" : F($" (epoll: {Pct(epoll.Point.Load.TurnaroundNs, 50) / 1e3:0.0} / {Pct(epoll.Point.Load.TurnaroundNs, 99) / 1e3:0.0} us at {epoll.Point.CpuPercent:0.0}% CPU)");
            string floor = _busyFloor is { } f ? F($"; C busy-polling floor on this machine {f.Median.P50Us:0.0} / {f.Median.P99Us:0.0} us") : "";
            Goal("reflector-poll busy, 1k pps: turnaround p50 <= 5 us, p99 <= 20 us", p50 <= 5 && p99 <= 20,
                F($"{p50:0.0} / {p99:0.0} us at {busy.Point.CpuPercent:0}% of a CPU{beside}{floor}"));
        }
        if (epoll is not null)
            Goal("reflector-poll epoll: idle reflector CPU stays 0", epoll.IdleCpuPercent < 0.1, F($"{epoll.IdleCpuPercent:0.000}%"));
    }

    static string PollReport(List<PollPoint> points)
    {
        var sb = new StringBuilder();
        void L(FormattableString s) => sb.AppendLine(s.ToString(Inv));
        L($"### Busy polling (`reflector-poll busy` beside epoll, one unauthenticated session)");
        L($"");
        L($"| reflector-poll | scheduling | load pps | loss % | turnaround p50 / p99 µs | RTT p50 / p99 µs | reflector thread CPU % | idle CPU % |");
        L($"|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var p in points)
            L($"| {p.Poll} | {p.Scheduling} | {p.Point.Rate:0} | {p.Point.Load.LossPercent:0.000} | {Pct(p.Point.Load.TurnaroundNs, 50) / 1e3:0.0} / {Pct(p.Point.Load.TurnaroundNs, 99) / 1e3:0.0} | {Pct(p.Point.Load.RttNs, 50) / 1e3:0.0} / {Pct(p.Point.Load.RttNs, 99) / 1e3:0.0} | {p.Point.CpuPercent:0.0} | {p.IdleCpuPercent:0.00} |");
        L($"");
        if (_busyFloor is { } f)
            L($"C busy-polling floor (scripts/bench/echo.c -b, the same generator at 1000 pps, pinned and scheduled like the busy reflector): RX timestamp → just before sendmmsg p50 {f.Median.P50Us:0.0} µs, p99 {f.Median.P99Us:0.0} µs (median of {f.Runs.Length} runs, p50s {string.Join(" ", f.Runs.Select(x => F($"{x.P50Us:0.0}")))}): what the kernel's receive path and a minimal program need on this machine.");
        if (points.FirstOrDefault(p => p.P50Runs is not null) is { } rep)
            L($"The busy SCHED_OTHER 1000 pps row is the median of {rep.P50Runs!.Length} runs (turnaround p50s {string.Join(" ", rep.P50Runs.Select(x => F($"{x:0.0}")))} µs).");
        L($"");
        L($"Busy polling spins on its CPU (all of it, idle or not; less here only when other work on that CPU preempts it). Recommended at SCHED_OTHER on a CPU nothing else uses: under SCHED_FIFO the kernel's RT throttling (kernel.sched_rt_runtime_us, 950000 of 1000000) stops a thread that never sleeps for the rest of every second, 50 ms in which packets wait — the SCHED_FIFO row shows it. On a shared machine the SCHED_OTHER p99 is only as good as CPU {ReflectorCpu} is free.");
        L($"");
        return sb.ToString();
    }
}
