using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using TwampProbe.Linux.Net;

namespace TwampProbe.Bench;

/// <summary>
/// What a minimal C program (scripts/bench/echo.c) achieves on this machine for a figure the reflector has a
/// goal for: the kernel's and the hardware's share, beside which the reflector's own figure is judged. The
/// program measures itself and prints "echo: NAME n=N p50=X p99=Y us" at SIGTERM.
/// </summary>
static partial class Program
{
    /// <summary>One C floor: the run whose <see cref="CFloorRun.P50Us"/> (or p99, see <see cref="RunCFloor"/>) is the median of the repeats.</summary>
    internal sealed record CFloor(string What, double Rate, CFloorRun Median, CFloorRun[] Runs)
    {
        /// <summary>The fields under <paramref name="key"/> (e.g. "turnaround_floor": turnaround_floor_us_p50 …).</summary>
        public JsonObject ToJson(string key) => new()
        {
            ["what"] = What,
            ["requested_pps"] = Rate,
            [$"{key}_us_p50"] = Math.Round(Median.P50Us, 2),
            [$"{key}_us_p99"] = Math.Round(Median.P99Us, 2),
            ["samples"] = Median.Samples,
            ["cpu_ns_per_packet"] = double.IsNaN(Median.CpuNsPerPacket) ? null : Math.Round(Median.CpuNsPerPacket, 1),
            ["lost"] = Median.Lost,
            ["steal_ms"] = Median.StealMs,
            [$"{key}_us_p50_runs"] = new JsonArray([.. Runs.Select(r => (JsonNode)Math.Round(r.P50Us, 2))]),
            [$"{key}_us_p99_runs"] = new JsonArray([.. Runs.Select(r => (JsonNode)Math.Round(r.P99Us, 2))]),
        };
    }

    internal sealed record CFloorRun(double P50Us, double P99Us, int Samples)
    {
        /// <summary>The echo's CPU time (all of it: one thread) ÷ the replies the generator received.</summary>
        public double CpuNsPerPacket { get; init; } = double.NaN;
        public long Lost { get; init; }
        public long StealMs { get; init; }
    }

    /// <summary>
    /// Runs <c>echo FLAG</c> on the reflector CPU under <paramref name="scheduling"/> (a command prefix, e.g.
    /// "chrt -f 20"), the load generator at <paramref name="rate"/> against it for <paramref name="duration"/>,
    /// <see cref="_repeats"/> times; keeps the run with the median p50 (<paramref name="byP99"/>: median p99).
    /// With <paramref name="sockets"/> &gt; 1 (echo -n), the generator sends <paramref name="rate"/> to each of
    /// the ports from <paramref name="port"/> on, every <paramref name="tickNs"/>, from a socket of
    /// <paramref name="bufferBytes"/> per port, as the many-sessions points do.
    /// </summary>
    static CFloor RunCFloor(string what, string flag, string name, int port, double rate, TimeSpan duration, string scheduling, bool byP99,
        int sockets = 1, long tickNs = 250_000, int bufferBytes = 8 << 20)
    {
        var runs = new List<CFloorRun>();
        for (int r = 0; r < _repeats; r++)
        {
            Log($"C floor: {name}, {(sockets > 1 ? $"{sockets} x " : "")}{rate} pps (run {r + 1} of {_repeats})");
            string log = Path.Combine(_out, $"echo{flag.Replace(" ", "")}.log");
            File.Delete(log);
            var psi = new ProcessStartInfo("/bin/sh", ["-c", $"exec {scheduling} taskset -c {ReflectorCpu} {_echo} {flag} 127.0.0.1 {port} 2>{log}"]) { UseShellExecute = false };
            var p = Process.Start(psi)!;
            Children.Add(p);
            WaitForLine(log, "echo: ready", p);
            var targets = Enumerable.Range(port, sockets).Select(q => new Target
            {
                Socket = Target.Bind(bufferBytes), Peer = UdpPeer.From(new IPEndPoint(IPAddress.Loopback, q)), Kind = ReplyKind.Echo,
            }).ToList();
            var window = new CpuWindow(p.Id, null, ReflectorCpu);
            window.Start();
            LoadResult load;
            try { load = new LoadGenerator(targets, rate, duration, tickNs).Run(Drain, GeneratorCpu); }
            finally { foreach (var t in targets) t.Dispose(); }
            var (_, processNs, _, _, _) = window.Stop();
            Stop(p);
            string prefix = $"echo: {name} ";
            var line = File.ReadAllLines(log).LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"echo {flag} printed no \"{name}\" line ({log})");
            double Field(string field) => double.Parse(line.Split(' ').First(w => w.StartsWith(field + "=", StringComparison.Ordinal))[(field.Length + 1)..], Inv);
            if (Field("n") == 0) throw new InvalidOperationException($"echo {flag} measured nothing ({log})");
            runs.Add(new CFloorRun(Field("p50"), Field("p99"), (int)Field("n"))
            {
                CpuNsPerPacket = load.Received == 0 ? double.NaN : (double)processNs / load.Received,
                Lost = load.Sent - load.Received,
                StealMs = window.StealNs / 1_000_000,
            });
        }
        var median = runs.OrderBy(r => byP99 ? r.P99Us : r.P50Us).ElementAt(runs.Count / 2);
        return new CFloor(what, rate, median, [.. runs]);
    }

    /// <summary>Waits until <paramref name="log"/> has a line starting with <paramref name="prefix"/> (the echo bound its sockets).</summary>
    static void WaitForLine(string log, string prefix, Process p)
    {
        var sw = Stopwatch.StartNew();
        while (!(File.Exists(log) && File.ReadLines(log).Any(l => l.StartsWith(prefix, StringComparison.Ordinal))))
        {
            if (p.HasExited) throw new InvalidOperationException($"echo exited before it was ready ({log})");
            if (sw.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException($"echo not ready after 10 s ({log})");
            Thread.Sleep(20);
        }
    }

    const int EchoLeadPort = 28993;

    /// <summary>
    /// The floor of the T3 lead: echo.c -l, the default reflector's epoll loop with each reply in its own
    /// sendmmsg, CLOCK_REALTIME just before it paired by OPT_ID with its kernel TX software timestamp, at the
    /// rates and the scheduling (SCHED_FIFO, reflector CPU) of the T3-lead points; median p99 of the repeats.
    /// </summary>
    static List<CFloor> RunT3LeadFloor(TimeSpan duration) => [.. T3LeadBench.Rates.Select(rate => RunCFloor(
        "scripts/bench/echo.c -l: epoll C echo, each reply in its own sendmmsg, kernel TX software timestamp - CLOCK_REALTIME just before it, SCHED_FIFO on the reflector CPU",
        "-l", "t3 lead floor", EchoLeadPort, rate, duration, $"chrt -f {FifoPriority}", byP99: true))];
}
