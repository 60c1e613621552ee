using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TwampProbe.Linux.Net;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Bench;

/// <summary>
/// How far the reflector's T3 leads the reply's real departure: the reflector socket's own kernel TX
/// timestamp (SO_TIMESTAMPING TX software, OPT_ID) minus the T3 written into the reply, per mode, under
/// the generator's bursts (one sendmmsg every 250 µs, so the reflector reads several requests per
/// recvmmsg). In-process: a <see cref="ReflectorEngine"/> with the <see cref="ReflectorOptions.MeasureT3Lead"/>
/// diagnostic, its thread pinned to the reflector CPU at SCHED_FIFO like the served one. Points with the
/// default batching bound, and with bound 0 (every reply in its own sendmsg) for comparison.
/// </summary>
static class T3LeadBench
{
    public const double GoalUs = 5;
    static readonly IFormatProvider Inv = CultureInfo.InvariantCulture;
    public static readonly double[] Rates = [10_000, 50_000];
    static readonly string[] Modes = ["unauth", "auth", "enc"];
    static readonly long DefaultBound = new ReflectorOptions().T3BatchBoundNs;
    const long Unbounded = 1_000_000_000;

    public sealed record LeadPoint(string Mode, double Rate, long BoundNs, long[] LeadsNs, long Unmatched, long[] Runs, long Received, long ThreadNs)
    {
        /// <summary>"epoll" (the default, SCHED_FIFO like the served reflector) or "busy" (SCHED_OTHER: busy polling under FIFO meets RT throttling).</summary>
        public string Poll { get; init; } = "epoll";
        /// <summary>The machine's steal time during the point (ns).</summary>
        public long StealNs { get; init; }

        public double P(double p) => LeadsNs.Length == 0 ? double.NaN : LeadsNs[Math.Clamp((int)Math.Ceiling(p / 100 * LeadsNs.Length) - 1, 0, LeadsNs.Length - 1)] / 1e3;
        public double RepliesPerSend => Runs.Sum() == 0 ? double.NaN : (double)Runs.Select((c, n) => c * n).Sum() / Runs.Sum();
        public double CpuNsPerPacket => Received == 0 ? double.NaN : (double)ThreadNs / Received;

        public JsonObject ToJson() => new()
        {
            ["mode"] = Mode,
            ["requested_pps"] = Rate,
            ["reflector_poll"] = Poll,
            ["batch_bound_ns"] = BoundNs,
            ["samples"] = LeadsNs.Length,
            ["unmatched_tx_timestamps"] = Unmatched,
            ["lead_us_p50"] = Round(P(50)),
            ["lead_us_p99"] = Round(P(99)),
            ["lead_us_max"] = Round(P(100)),
            ["replies_per_sendmmsg"] = Round(RepliesPerSend),
            ["cpu_ns_per_packet"] = Round(CpuNsPerPacket, 1),
            ["steal_ms"] = StealNs / 1_000_000,
        };
    }

    static JsonNode? Round(double x, int digits = 2) => double.IsNaN(x) ? null : Math.Round(x, digits);

    public static List<LeadPoint> Run(TimeSpan duration, int reflectorCpu, int generatorCpu, int fifoPriority)
    {
        var points = new List<LeadPoint>();
        // The default bound at every rate; for comparison at 50k, a sendmsg per reply (0) and one sendmmsg per
        // recvmmsg batch as before (1 s: no bound in practice).
        foreach (long bound in new[] { DefaultBound, 0L, Unbounded })
        {
            using var clock = new ClockState(TimeSpan.Zero);
            using var engine = new ReflectorEngine(clock, new ReflectorOptions
            {
                Cpu = reflectorCpu, FifoPriority = fifoPriority, MeasureT3Lead = true, T3BatchBoundNs = bound,
                SocketBufferBytes = 8 << 20,
            });
            foreach (var rate in bound == DefaultBound ? Rates : [50_000])
                foreach (var mode in Modes)
                    points.Add(RunPoint(engine, mode, rate, bound, duration, reflectorCpu, generatorCpu));
        }
        // Busy polling at the lowest rate, where the epoll reflector sleeps between packets and wakes up cold.
        // The bench runs at SCHED_FIFO and a new thread inherits its creator's policy: the engine (and its
        // thread) are created from a thread set back to SCHED_OTHER at nice −20.
        using var busyClock = new ClockState(TimeSpan.Zero);
        ReflectorEngine? created = null;
        var creator = new Thread(() =>
        {
            Native.NormalPriority();
            created = new ReflectorEngine(busyClock, new ReflectorOptions
            {
                Cpu = reflectorCpu, MeasureT3Lead = true, T3BatchBoundNs = DefaultBound, SocketBufferBytes = 8 << 20,
                Poll = ReflectorPollMode.Busy,
            });
        });
        creator.Start();
        creator.Join();
        using (var engine = created!)
        {
            foreach (var mode in Modes)
                points.Add(RunPoint(engine, mode, Rates[0], DefaultBound, duration, reflectorCpu, generatorCpu) with { Poll = "busy" });
        }
        return points;
    }

    static LeadPoint RunPoint(ReflectorEngine engine, string mode, double rate, long bound, TimeSpan duration, int reflectorCpu, int generatorCpu)
    {
        var security = mode switch { "auth" => TestSecurity.Authenticated, "enc" => TestSecurity.Encrypted, _ => TestSecurity.Unauthenticated };
        var twampMode = mode switch { "auth" => TwampModes.Authenticated, "enc" => TwampModes.Encrypted, _ => TwampModes.Unauthenticated };
        var layout = TestPacketLayout.For(security);
        using var keys = SessionKeys.CreateRandom();
        var sid = RandomNumberGenerator.GetBytes(16);
        var rs = engine.Open(new IPEndPoint(IPAddress.Loopback, 0));
        using var target = new Target
        {
            Socket = Target.Bind(8 << 20), Layout = layout, Kind = ReplyKind.Twamp,
            Peer = UdpPeer.From(rs.LocalEndPoint),
            SendCrypto = security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(keys, sid, security),
            ReceiveCrypto = security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(keys, sid, security),
        };
        var session = new ReflectorSession
        {
            Sid = sid, Mode = twampMode, Layout = layout, Sender = UdpPeer.From(target.Socket.LocalEndPoint),
            Crypto = security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(keys, sid, security),
            Dscp = 0, TimeoutNs = 0, PaddingLength = (uint)layout.SymmetricPadding,
        };
        session.Start(SystemClock.Instance.MonotonicNanoseconds);
        if (!rs.TryAdd(session)) throw new InvalidOperationException("session not added");
        var probe = engine.T3Lead!;
        // Warm-up (JIT, caches), then the measured window.
        new LoadGenerator([target], rate, TimeSpan.FromMilliseconds(300), 250_000).Run(TimeSpan.FromMilliseconds(100), generatorCpu);
        probe.Reset();
        var window = new CpuWindow(Environment.ProcessId, "reflector", reflectorCpu);
        window.Start();
        var load = new LoadGenerator([target], rate, duration, 250_000).Run(TimeSpan.FromMilliseconds(200), generatorCpu);
        var (threadNs, _, _, _, _) = window.Stop();
        var leads = probe.Leads();
        Array.Sort(leads);
        var point = new LeadPoint(mode, rate, bound, leads, probe.Unmatched, probe.RunLengths(), load.Received, threadNs) { StealNs = window.StealNs };
        engine.Detach(rs, session);
        return point;
    }

    public static JsonArray ToJson(List<LeadPoint> points) => [.. points.Select(p => (JsonNode)p.ToJson())];

    static IEnumerable<LeadPoint> Default(List<LeadPoint> points) => points.Where(p => p.BoundNs == DefaultBound && p.Poll == "epoll");

    /// <summary>The goals-table row: p99 of the lead at the default bound, every mode and rate, with the C floor beside it.</summary>
    public static JsonObject Goal(List<LeadPoint> points, List<Program.CFloor> floors)
    {
        var d = Default(points).ToList();
        bool met = d.Count > 0 && d.All(p => p.P(99) <= GoalUs);
        string floor = floors.Count == 0 ? "" : "; C floor (echo.c -l) " + string.Join(", ", floors.Select(f => F($"{f.Median.P99Us:0.0} us @{f.Rate / 1000:0}k")));
        return new JsonObject
        {
            ["goal"] = F($"T3 lead p99 <= {GoalUs:0} us (reflector-poll epoll, the default)"),
            ["met"] = met,
            ["measured"] = string.Join(", ", d.Select(p => F($"{p.Mode} {p.P(99):0.0} us @{p.Rate / 1000:0}k"))) + floor,
        };
    }

    /// <summary>The same goal with busy polling (measured at the lowest rate only).</summary>
    public static JsonObject BusyGoal(List<LeadPoint> points)
    {
        var b = points.Where(p => p.Poll == "busy").ToList();
        return new JsonObject
        {
            ["goal"] = F($"T3 lead p99 <= {GoalUs:0} us (reflector-poll busy)"),
            ["met"] = b.Count > 0 && b.All(p => p.P(99) <= GoalUs),
            ["measured"] = string.Join(", ", b.Select(p => F($"{p.Mode} {p.P(99):0.0} us @{p.Rate / 1000:0}k"))),
        };
    }

    public static string Report(List<LeadPoint> points, List<Program.CFloor> floors)
    {
        var sb = new StringBuilder();
        void L(FormattableString s) => sb.AppendLine(s.ToString(Inv));
        L($"### T3 lead (reflector's kernel TX timestamp − T3)");
        L($"");
        L($"In-process reflector (ReflectorEngine with its T3-lead diagnostic; bench.sh has the JIT compile it like the Native-AOT binary: no tiering, no AVX), pinned and SCHED_FIFO like the served one (busy polling: SCHED_OTHER, as the README recommends it), fed by the generator's 250 µs bursts; every reply's TX software timestamp paired with its T3 by OPT_ID. Batching bound = how much later than a lone reply a reply may leave because it shares a sendmmsg (default {DefaultBound} ns); 0 = one sendmsg per reply; 1 s = no bound, every recvmmsg batch in one sendmmsg as before.");
        L($"");
        L($"| mode | load pps | reflector-poll | bound ns | lead p50 / p99 / max µs | replies per sendmmsg | CPU ns/pkt | samples | steal ms |");
        L($"|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var p in points)
            L($"| {p.Mode} | {p.Rate:0} | {p.Poll} | {p.BoundNs} | {p.P(50):0.0} / {p.P(99):0.0} / {p.P(100):0.0} | {p.RepliesPerSend:0.00} | {p.CpuNsPerPacket:0} | {p.LeadsNs.Length} | {p.StealNs / 1_000_000} |");
        L($"");
        foreach (var f in floors)
            L($"C floor at {f.Rate:0} pps (scripts/bench/echo.c -l, the same generator, SCHED_FIFO on the reflector CPU: the epoll loop with each reply in its own sendmmsg, CLOCK_REALTIME read just before it, paired by OPT_ID with its kernel TX timestamp): lead p50 {f.Median.P50Us:0.0} µs, p99 {f.Median.P99Us:0.0} µs (median p99 of {f.Runs.Length} runs: {string.Join(" ", f.Runs.Select(r => F($"{r.P99Us:0.0}")))}). What the kernel's send path alone costs a minimal program on this machine.");
        if (floors.Count > 0) L($"");
        return sb.ToString();
    }

    static string F(FormattableString s) => s.ToString(Inv);
}
