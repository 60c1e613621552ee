using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using TwampProbe.Control;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Bench;

/// <summary>
/// Issue 9 §4, many sessions: 1000 sessions × 100 packets/s (turnaround p99) and 5000 × 20 (loss),
/// each session with its own test socket, on one reflector thread (epoll, SCHED_FIFO like the other
/// points), and the memory a session costs: the server's RSS after the sessions are set up, less
/// before, per session. 5000 sessions need 5000 descriptors in the server and as many in this
/// process: bench.sh raises RLIMIT_NOFILE, and the server's max-sessions is set explicitly.
/// </summary>
static partial class Program
{
    const int ManyControlPort = 28640;
    const string ManyTestPorts = "20000-27999";
    const int ManyPerConnection = 1250;
    /// <summary>Sessions, packets/s each, and the generator's tick: at 1000 × 100 the 250 µs tick of the
    /// single-session points (bursts of ~25 packets), at 5000 × 20 a 1 ms tick (the generator's own CPU).</summary>
    static readonly (int Sessions, double Pps, long TickNs)[] ManyLoads = [(1000, 100, 250_000), (5000, 20, 1_000_000)];

    /// <param name="Point">The run with the median turnaround p99 of <paramref name="Runs"/>.</param>
    /// <param name="Runs">Every run over the same sessions (<see cref="_repeats"/>, as the C floor): one run's p99 on
    /// this VM varies from about 1 ms to tens of ms with the host's moment, so one run says little.</param>
    sealed record ManyPoint(int Sessions, double PpsPerSession, long TickNs, int Connections, double SetupSeconds, Point Point, Point[] Runs,
        long RssBeforeKb, long RssSetUpKb, long RssAfterKb)
    {
        public static double P99Us(Point p) => Pct(p.Load.TurnaroundNs, 99) / 1e3;
        /// <summary>Lost in all runs together: zero loss means zero in every run.</summary>
        public long LostAllRuns => Runs.Sum(r => r.Load.Sent - r.Load.Received);
        public long SentAllRuns => Runs.Sum(r => r.Load.Sent);

        public double BytesPerSession => (RssSetUpKb - RssBeforeKb) * 1024.0 / Sessions;

        public JsonObject ToJson()
        {
            var o = Point.ToJson();
            o["sessions"] = Sessions;
            o["pps_per_session"] = PpsPerSession;
            o["generator_tick_us"] = TickNs / 1000;
            o["control_connections"] = Connections;
            o["setup_s"] = Math.Round(SetupSeconds, 3);
            o["rss_kb_before"] = RssBeforeKb;
            o["rss_kb_set_up"] = RssSetUpKb;
            o["rss_kb_after_load"] = RssAfterKb;
            o["rss_bytes_per_session"] = Math.Round(BytesPerSession);
            o["lost"] = Point.Load.Sent - Point.Load.Received;
            o["runs"] = Runs.Length;
            o["turnaround_p99_us_runs"] = new JsonArray([.. Runs.Select(r => (JsonNode)Math.Round(P99Us(r), 1))]);
            o["cpu_ns_per_packet_runs"] = new JsonArray([.. Runs.Select(r => (JsonNode)Math.Round(r.NsPerPacket))]);
            o["lost_all_runs"] = LostAllRuns;
            o["sent_all_runs"] = SentAllRuns;
            return o;
        }
    }

    /// <summary>Ports 18000-18999: below the ephemeral range, so no other socket on the machine holds one.</summary>
    const int ManyFloorPort = 18000;
    /// <summary>The C floor of the 1000 × 100 point (echo.c -n 1000), or null when that point did not run.</summary>
    static CFloor? _manyFloor;

    /// <summary>
    /// echo.c -n: 1000 sockets in one epoll set, one batch per ready socket per round, each reply in its own
    /// sendmmsg after a CLOCK_REALTIME read, fed like the 1000 × 100 point (same tick and socket buffers),
    /// SCHED_FIFO on the reflector CPU: the turnaround and CPU a minimal program reaches with that many sockets.
    /// </summary>
    static CFloor RunManyFloor(int sessions, double pps, long tickNs) => RunCFloor(
        $"scripts/bench/echo.c -n {sessions}: {sessions} sockets in one epoll set, a batch per ready socket, each reply in its own sendmmsg, CLOCK_REALTIME before it - kernel RX timestamp, SCHED_FIFO on the reflector CPU",
        $"-n {sessions}", "many turnaround floor", ManyFloorPort, pps, _duration, $"chrt -f {FifoPriority}", byP99: true,
        sockets: sessions, tickNs: tickNs, bufferBytes: 256 << 10);

    static async Task<List<ManyPoint>> RunManySessionsAsync()
    {
        var points = new List<ManyPoint>();
        int most = ManyLoads.Max(l => l.Sessions);
        // One socket per session here, and one per session in the server (which raises its own limit).
        var (_, limit) = TwampProbe.Linux.Security.Descriptors.RaiseToHardLimit();
        if (limit < most + 256)
            throw new InvalidOperationException($"{most} sessions need {most + 256} descriptors, RLIMIT_NOFILE allows {limit}: raise it (ulimit -n)");
        foreach (var (sessions, pps, tick) in ManyLoads)
        {
            Log($"many sessions: {sessions} x {pps} pps");
            // A fresh server for each point: its RSS before the sessions is that of an idle server.
            var server = StartServer("many", ManyControlPort, ManyTestPorts, $"""
                max-sessions {most + 100}
                max-sessions-per-prefix {most + 100}
                max-sessions-per-connection {ManyPerConnection}
                max-connections 64
                """, fifo: true);
            try
            {
                Thread.Sleep(500);
                points.Add(await RunManyAsync(server, sessions, pps, tick));
            }
            finally { Stop(server); }
            if (sessions == 1000) _manyFloor = RunManyFloor(sessions, pps, tick);
        }
        return points;
    }

    static async Task<ManyPoint> RunManyAsync(Process server, int sessions, double pps, long tickNs)
    {
        int connections = (sessions + ManyPerConnection - 1) / ManyPerConnection;
        var clients = new List<ControlClient>();
        var targets = new List<Target>();
        long before = ProcStat.StatusKb(server.Id, "VmRSS");
        var sw = Stopwatch.StartNew();
        try
        {
            for (int c = 0; c < connections; c++)
            {
                var client = await ConnectAsync(ManyControlPort, TwampModes.Unauthenticated);
                clients.Add(client);
                int mine = sessions / connections + (c < sessions % connections ? 1 : 0);
                for (int i = 0; i < mine; i++) targets.Add(await RequestAsync(client, 256 << 10));
            }
            foreach (var client in clients)
            {
                var ack = await client.StartSessionsAsync(CancellationToken.None);
                if (ack != AcceptCode.Ok) throw new InvalidOperationException($"Start-Sessions refused: {ack}");
            }
            double setup = sw.Elapsed.TotalSeconds;
            Thread.Sleep(500); // let the server settle (garbage of the set-up) before its RSS is read
            long setUp = ProcStat.StatusKb(server.Id, "VmRSS");
            var runs = new List<Point>();
            for (int r = 0; r < _repeats; r++)
            {
                if (r > 0) Log($"many sessions: {sessions} x {pps} pps (run {r + 1} of {_repeats})");
                var gen = new LoadGenerator(targets, pps, _duration, tickNs);
                runs.Add(Measure(server, "reflector", "unauth", pps * sessions, gen));
            }
            var point = runs.OrderBy(ManyPoint.P99Us).ElementAt(runs.Count / 2);
            long after = ProcStat.StatusKb(server.Id, "VmRSS");
            for (int c = 0; c < clients.Count; c++)
            {
                int mine = sessions / connections + (c < sessions % connections ? 1 : 0);
                await clients[c].StopSessionsAsync(AcceptCode.Ok, (uint)mine, CancellationToken.None);
            }
            return new ManyPoint(sessions, pps, tickNs, connections, setup, point, [.. runs], before, setUp, after);
        }
        finally
        {
            foreach (var t in targets) t.Dispose();
            foreach (var c in clients) c.Dispose();
            Thread.Sleep(300);
        }
    }

    static void ManyGoals(JsonArray goals, List<ManyPoint> points)
    {
        void Goal(string name, bool met, string measured) =>
            goals.Add(new JsonObject { ["goal"] = name, ["met"] = met, ["measured"] = measured });
        if (points.FirstOrDefault(p => p.Sessions == 1000) is { } k1)
        {
            double p99 = ManyPoint.P99Us(k1.Point);
            string floor = _manyFloor is { } f
                ? F($"; C floor (echo.c -n 1000, same load) p99 {f.Median.P99Us:0} us at {f.Median.CpuNsPerPacket:0} ns/pkt (reflector: {k1.Point.NsPerPacket:0} ns/pkt)")
                : "";
            Goal("1000 sessions x 100 pps: turnaround p99 <= 1 ms", p99 <= 1000,
                F($"{p99:0} us (median of {k1.Runs.Length} runs: {string.Join(" ", k1.Runs.Select(r => F($"{ManyPoint.P99Us(r):0}")))})") + floor);
        }
        if (points.FirstOrDefault(p => p.Sessions == 5000) is { } k5)
        {
            long lost = k5.LostAllRuns, sent = k5.SentAllRuns;
            Goal("5000 sessions x 20 pps: zero loss", lost == 0,
                F($"{lost} of {sent} lost ({100.0 * lost / Math.Max(sent, 1):0.###}%) in {k5.Runs.Length} runs"));
        }
    }

    static string ManyReport(List<ManyPoint> points)
    {
        var sb = new StringBuilder();
        void L(FormattableString s) => sb.AppendLine(s.ToString(Inv));
        L($"### Many sessions (unauthenticated, one test socket each, one reflector thread, epoll)");
        L($"");
        L($"| sessions × pps (generator tick) | offered pps | lost | loss % | turnaround p50 / p99 µs | reflector CPU % | CPU ns/pkt | RSS MB before / set up / after | RSS per session | setup s | steal ms |");
        L($"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in points)
            L($"| {p.Sessions} × {p.PpsPerSession:0} ({p.TickNs / 1000} µs) | {p.Point.Load.OfferedPps:0} | {p.Point.Load.Sent - p.Point.Load.Received} | {p.Point.Load.LossPercent:0.000} | {Pct(p.Point.Load.TurnaroundNs, 50) / 1e3:0.0} / {Pct(p.Point.Load.TurnaroundNs, 99) / 1e3:0.0} | {p.Point.CpuPercent:0.0} | {p.Point.NsPerPacket:0} | {p.RssBeforeKb / 1024.0:0.0} / {p.RssSetUpKb / 1024.0:0.0} / {p.RssAfterKb / 1024.0:0.0} | {p.BytesPerSession / 1024:0.0} KiB | {p.SetupSeconds:0.00} | {p.Point.StealNs / 1_000_000} |");
        L($"");
        L($"Each row is the run with the median turnaround p99 of {points.FirstOrDefault()?.Runs.Length ?? 0} runs over the same sessions; every run's p99 µs (CPU ns/pkt, lost):");
        foreach (var p in points)
            L($"{p.Sessions} × {p.PpsPerSession:0}: {string.Join(", ", p.Runs.Select(r => F($"{ManyPoint.P99Us(r):0.0} ({r.NsPerPacket:0}, {r.Load.Sent - r.Load.Received})")))}.");
        L($"");
        L($"RSS per session = (RSS with the sessions set up − RSS before) ÷ sessions: the user-space cost of a session; its socket buffers are kernel memory, not in the RSS.");
        if (_manyFloor is { } f)
        {
            L($"");
            L($"C floor of 1000 × 100 ({f.What}): turnaround p50 {f.Median.P50Us:0.0} µs, p99 {f.Median.P99Us:0.0} µs, {f.Median.CpuNsPerPacket:0} CPU ns/pkt, {f.Median.Lost} lost (median p99 of {f.Runs.Length} runs: {string.Join(" ", f.Runs.Select(r => r.P99Us.ToString("0.0", Inv)))}; ns/pkt {string.Join(" ", f.Runs.Select(r => r.CpuNsPerPacket.ToString("0", Inv)))}). What the kernel alone needs for that many sockets on this machine.");
        }
        L($"");
        return sb.ToString();
    }
}
