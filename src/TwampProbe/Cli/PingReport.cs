using System.Globalization;
using System.Net;
using System.Text.Json;
using TwampProbe.Protocol.Statistics;
using TwampProbe.Protocol.Wire;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Cli;

/// <summary>Prints a session's results as text (twping-like) or as one JSON object (schema in README).</summary>
public sealed class PingReport(PingOptions options, TextWriter output)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    readonly object _gate = new();

    /// <summary>
    /// -R, text: a line per measured reply as it comes, its departure time the best it has then (its TX timestamp,
    /// or T1 when that is not back yet); the summary's choice may differ (see <see cref="Departure"/>).
    /// fwd_ttl = the Sender TTL the reflector saw (forward path); reply_dscp = the DSCP of the reply as it arrived here.
    /// </summary>
    public void PerPacket(ReplySample s) => PacketLine(s, "");

    /// <summary>-R, text: a duplicate, or a reply after <c>-L</c> (lost), marked as such; neither is in the statistics.</summary>
    public void Unmeasured(ReplySample s, bool late) =>
        PacketLine(s, late ? $" LATE (after -L {Threshold} s, counted lost)" : " DUPLICATE (not measured)");

    void PacketLine(in ReplySample s, string tag)
    {
        if (options.Json) return;
        string line = string.Create(Inv,
            $"seq={s.SenderSequence} rtt={s.RoundTripNs / 1e6:0.000} ms turnaround={s.TurnaroundNs / 1e3:0.0} us fwd={s.ForwardNs / 1e6:0.000} ms bwd={s.BackwardNs / 1e6:0.000} ms fwd_ttl={s.ForwardTtl} reply_dscp={(s.ReplyTrafficClass >= 0 ? s.ReplyTrafficClass >> 2 : -1)}{tag}");
        lock (_gate) output.WriteLine(line);
    }

    /// <summary>
    /// The departure time every figure of the summary uses: the kernel's or the NIC's TX timestamp when every
    /// measured reply has one, else T1 (taken just before sendmsg) for all of them, with how many lacked one.
    /// </summary>
    static (string Source, string Text) Departure(SessionStatistics st)
    {
        if (st.Samples.Count == 0) return ("none", "-");
        if (st.DeparturesFromTransmitTimestamps)
        {
            string kind = st.Samples.GroupBy(x => x.T1Source).OrderByDescending(g => g.Count()).First().Key == 2 ? "hardware" : "kernel";
            return (kind, $"{kind} TX timestamp");
        }
        int without = st.WithoutTransmitTimestamp;
        return ("t1", without == st.Samples.Count
            ? "T1 (user space, before sendmsg; no TX timestamps)"
            : $"T1 (user space, before sendmsg): {without} of {st.Samples.Count} replies had no TX timestamp");
    }

    public int Print(SessionSender sender, TwampModes mode, string modeName, IPEndPoint reflector, byte[]? sid, ClockState clock)
    {
        var st = sender.Statistics;
        if (options.Json) WriteJson(st, modeName, sender, reflector, sid, clock);
        else WriteText(st, modeName, sender, reflector, sid, clock);
        return st.PacketsReceived == 0 && st.PacketsSent > 0 ? ExitCode.AllLost : ExitCode.Ok;
    }

    /// <summary>Milliseconds with 3 decimals; "-" when there is no data (one packet has no IPDV, no reply has no delay).</summary>
    internal static string Ms(double us) => double.IsFinite(us) ? NoNegativeZero(Math.Round(us / 1000, 3, MidpointRounding.AwayFromZero)).ToString("0.000", Inv) : "-";
    internal static string Us(double us) => double.IsFinite(us) ? NoNegativeZero(Math.Round(us, 1, MidpointRounding.AwayFromZero)).ToString("0.0", Inv) : "-";

    /// <summary>An error estimate in ms: from 2⁻³² s (2.33e-7 ms) to the seconds of an unsynchronized clock (32000.5 ms).</summary>
    internal static string Err(double ms) =>
        !double.IsFinite(ms) ? "-" : ms.ToString(ms >= 1 ? "0.#" : ms >= 0.001 ? "0.###" : "0.##e+0", Inv);

    /// <summary>A signed IPDV of −0.0001 ms rounds to −0: print it as 0.</summary>
    static double NoNegativeZero(double v) => v == 0 ? 0 : v;

    /// <summary>min/median/p90/p95/p99/max = …, mean …: the same set as every delay object in the JSON.</summary>
    static string Line(DelaySummary d, Func<double, string> f, string unit) =>
        $"min/median/p90/p95/p99/max = {f(d.Min)}/{f(d.P50)}/{f(d.P90)}/{f(d.P95)}/{f(d.P99)}/{f(d.Max)} {unit}, mean {f(d.Mean)} {unit}";

    ReflectorNumbering Numbering => options.Light ? ReflectorNumbering.MayCopy : ReflectorNumbering.Counter;

    string Threshold => options.LossTimeoutSeconds.ToString("0.###", Inv);

    void WriteText(SessionStatistics st, string mode, SessionSender sender, IPEndPoint reflector, byte[]? sid, ClockState clock)
    {
        var o = output;
        o.WriteLine();
        o.WriteLine($"--- twampprobe statistics from {Format(sender.SourceEndPoint)} to {Format(reflector)} ---");
        o.WriteLine(string.Create(Inv, $"mode: {mode}{(sid is null ? "" : $"   SID: {SessionId.ToHex(sid)}")}   timestamps: {TimestampSource(st)}   departure: {Departure(st).Text}"));
        if (sender.RxTimestampSource == Linux.Net.TimestampSource.User)
            o.WriteLine($"note: {sender.TimestampFallbackReason ?? "kernel timestamps unavailable"} — T1/T4 come from user space");
        o.WriteLine(string.Create(Inv, $"{st.PacketsSent} sent, {st.PacketsReceived} received, {st.Lost} lost ({st.LossPercent:0.000}%), {st.Duplicates} duplicates, {st.Reordered} reordered, {st.Invalid} invalid"));
        var loss = st.Loss();
        var dir = st.Directional(Numbering);
        string late = $"{st.Late} late (reply after -L {Threshold} s, counted lost)";
        string bursts = $"{loss.Bursts} loss burst{(loss.Bursts == 1 ? "" : "s")}, longest {loss.LongestBurst}";
        if (dir.Known)
        {
            o.WriteLine($"directional loss: {dir.ForwardLost} forward (send), {dir.BackwardLost} backward (reflect), {dir.DirectionUnknown} direction unknown (no reply after them); {late}; {bursts}");
            o.WriteLine($"send/reflect duplicates = {dir.ForwardDuplicates}/{dir.BackwardDuplicates}, send/reflect reordered = {dir.ForwardReordered}/{dir.BackwardReordered} (RFC 4737)");
        }
        else
            o.WriteLine($"directional loss unknown: {dir.Reason}; {late}; {bursts}");
        if (!st.ReflectorConforming)
            o.WriteLine($"note: non-conforming reflector: sends short replies ({st.ShortReplies} shorter than RFC 5357's {sender.ConformingReplyLength} octets); delays measured, forward TTL unknown");
        if (st.PacketsReceived == 0) { o.WriteLine("no replies received"); return; }
        var rtt = st.RoundTrip;
        var ta = st.Turnaround;
        var f = st.Forward;
        var b = st.Backward;
        double err = st.OneWayErrorSeconds * 1e3;
        o.WriteLine($"round-trip time {Line(rtt.Delay, Ms, "ms")} (err=±{Err(2 * err)} ms)");
        o.WriteLine($"reflector turnaround {Line(ta.Delay, Us, "us")}");
        string flag = st.OneWayReliable ? "" : "   (unreliable: clocks not synchronized)";
        o.WriteLine($"forward (send) delay {Line(f.Delay, Ms, "ms")} (err=±{Err(err)} ms){flag}");
        o.WriteLine($"backward (reflect) delay {Line(b.Delay, Ms, "ms")} (err=±{Err(err)} ms){flag}");
        static string Pdv(DelaySummary d) => $"{Ms(d.P50)}/{Ms(d.P90)}/{Ms(d.P99)}";
        static string Ipdv(DelaySummary d) => $"{Ms(d.Min)}/{Ms(d.P50)}/{Ms(d.P90)}/{Ms(d.P99)}/{Ms(d.Max)}";
        o.WriteLine($"PDV (RFC 5481, delay − min delay) p50/p90/p99 = round-trip {Pdv(rtt.Pdv)}, forward {Pdv(f.Pdv)}, backward {Pdv(b.Pdv)} ms");
        o.WriteLine($"IPDV (RFC 3393, signed, consecutive sequence numbers) min/median/p90/p99/max = round-trip {Ipdv(rtt.Ipdv)}, forward {Ipdv(f.Ipdv)}, backward {Ipdv(b.Ipdv)} ms");
        o.WriteLine($"jitter (IPDV, mean |Δ|) round-trip/forward/backward = {Ms(rtt.IpdvAbsolute.Mean)}/{Ms(f.IpdvAbsolute.Mean)}/{Ms(b.IpdvAbsolute.Mean)} ms");
        o.WriteLine($"two-way/send/reflect jitter = {Ms(rtt.TwpingJitter)}/{Ms(f.TwpingJitter)}/{Ms(b.TwpingJitter)} ms (P95-P50 of delay, as twping)");
        if (st.ForwardTtl is { } fttl)
            o.WriteLine($"forward hops = {options.Ttl - fttl.Value} (sender TTL {options.Ttl}, reflector saw {fttl.Value}{(fttl.Consistent ? "" : ", varying")})");
        else
            o.WriteLine("forward hops = unknown (the replies carry no Sender TTL)");
        if (st.BackwardTtl is { } bttl)
            o.WriteLine($"backward hops = {255 - bttl.Value} (TTL {bttl.Value} received, reflector sends 255{(bttl.Consistent ? "" : ", varying")})");
        if (st.ForwardDscp is { } fd)
            o.WriteLine($"forward DSCP/ECN at the reflector = {fd.Value}{(fd.Consistent ? "" : " (varying)")}/{st.ForwardEcn?.Value ?? 0} (sent {options.Dscp}/{options.Ecn}; RFC 7750)");
        if (st.ReflectedDscp is { } dscp)
            o.WriteLine($"reflected DSCP/ECN received here = {dscp.Value}{(dscp.Consistent ? "" : " (varying)")}/{st.ReflectedEcn?.Value ?? 0} (requested DSCP {options.Dscp})");
        o.WriteLine($"clock: {(clock.Synchronized ? "synchronized" : "UNSYNCHRONIZED")} here, reflector {(st.Samples.All(s => s.ReflectorSynchronized) ? "synchronized" : "unsynchronized")}");
    }

    static string TimestampSource(SessionStatistics st)
    {
        if (st.Samples.Count == 0) return "-";
        var kinds = st.Samples.GroupBy(s => s.T4Source).OrderByDescending(g => g.Count()).First().Key;
        return kinds switch { 2 => "hardware", 1 => "kernel", _ => "user space" };
    }

    static string Format(IPEndPoint ep) => Config.EndpointText.Format(ep);

    void WriteJson(SessionStatistics st, string mode, SessionSender sender, IPEndPoint reflector, byte[]? sid, ClockState clock)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mode", mode);
            w.WriteString("sender", Format(sender.SourceEndPoint));
            w.WriteString("reflector", Format(reflector));
            if (sid is not null) w.WriteString("sid", SessionId.ToHex(sid));
            w.WriteNumber("packets_sent", st.PacketsSent);
            w.WriteNumber("packets_received", st.PacketsReceived);
            w.WriteNumber("packets_lost", st.Lost);
            w.WriteNumber("loss_percent", Math.Round(st.LossPercent, 3));
            w.WriteNumber("loss_threshold_s", options.LossTimeoutSeconds);
            w.WriteNumber("late", st.Late);
            var loss = st.Loss();
            w.WriteNumber("loss_bursts", loss.Bursts);
            w.WriteNumber("longest_loss_burst", loss.LongestBurst);
            w.WriteNumber("duplicates", st.Duplicates);
            w.WriteNumber("reordered", st.Reordered);
            w.WriteNumber("reordered_ratio", Math.Round(st.ReorderedRatio, 6));
            w.WriteNumber("invalid", st.Invalid);
            Directions(w, st.Directional(Numbering));
            w.WriteBoolean("reflector_conforming", st.ReflectorConforming);
            w.WriteNumber("short_replies", st.ShortReplies);
            var rtt = st.RoundTrip;
            var forward = st.Forward;
            var backward = st.Backward;
            Stats(w, "rtt_us", rtt.Delay);
            Stats(w, "turnaround_us", st.Turnaround.Delay);
            Stats(w, "forward_delay_us", forward.Delay);
            Stats(w, "backward_delay_us", backward.Delay);
            w.WriteBoolean("one_way_reliable", st.OneWayReliable);
            // RFC 4656 §4.1.2 error estimates: a one-way delay's is the sum of its two timestamps', a round trip's of all four.
            w.WriteStartObject("error_estimate_us");
            // To the picosecond: the smallest estimate, 2⁻³² s, is 0.00023 µs.
            static void Error(Utf8JsonWriter w, string name, double us)
            {
                if (double.IsFinite(us)) w.WriteNumber(name, Math.Round(us, 6));
                else w.WriteNull(name);
            }
            Error(w, "rtt", 2 * st.OneWayErrorSeconds * 1e6);
            Error(w, "forward", st.OneWayErrorSeconds * 1e6);
            Error(w, "backward", st.OneWayErrorSeconds * 1e6);
            w.WriteEndObject();
            w.WriteStartObject("pdv_us");
            Stats(w, "rtt", rtt.Pdv);
            Stats(w, "forward", forward.Pdv);
            Stats(w, "backward", backward.Pdv);
            w.WriteEndObject();
            w.WriteStartObject("ipdv_us");
            // Kept as they always were: mean and p95 of |IPDV| (the text's "jitter").
            Number(w, "rtt_mean", rtt.IpdvAbsolute.Mean);
            Number(w, "rtt_p95", rtt.IpdvAbsolute.P95);
            Number(w, "forward_mean", forward.IpdvAbsolute.Mean);
            Number(w, "backward_mean", backward.IpdvAbsolute.Mean);
            // Signed IPDV (RFC 3393).
            Stats(w, "rtt", rtt.Ipdv);
            Stats(w, "forward", forward.Ipdv);
            Stats(w, "backward", backward.Ipdv);
            w.WriteEndObject();
            w.WriteStartObject("twping_jitter_us");
            Number(w, "rtt", rtt.TwpingJitter);
            Number(w, "forward", forward.TwpingJitter);
            Number(w, "backward", backward.TwpingJitter);
            w.WriteEndObject();
            Optional(w, "forward_ttl", st.ForwardTtl?.Value);
            Optional(w, "forward_hops", st.ForwardTtl is { } f ? options.Ttl - f.Value : null);
            Optional(w, "backward_ttl", st.BackwardTtl?.Value);
            Optional(w, "backward_hops", st.BackwardTtl is { } b ? 255 - b.Value : null);
            w.WriteNumber("requested_dscp", options.Dscp);
            Optional(w, "reflected_dscp", st.ReflectedDscp?.Value);
            Optional(w, "reflected_ecn", st.ReflectedEcn?.Value);
            Optional(w, "forward_dscp", st.ForwardDscp?.Value);
            Optional(w, "forward_ecn", st.ForwardEcn?.Value);
            w.WriteNumber("tx_timestamp_share", Math.Round(st.TransmitTimestampShare, 3));
            // What every delay above used as the departure time: "kernel"/"hardware" (TX timestamps) or "t1".
            if (st.Samples.Count > 0) w.WriteString("departure_source", Departure(st).Source);
            else w.WriteNull("departure_source");
            w.WriteNumber("replies_without_tx_timestamp", st.WithoutTransmitTimestamp);
            // Where T4 came from; no reply, no T4: null, as the text says "-".
            if (st.Samples.Count > 0) w.WriteString("timestamp_source", TimestampSource(st));
            else w.WriteNull("timestamp_source");
            if (sender.TimestampFallbackReason is { } why) w.WriteString("timestamp_note", why);
            w.WriteBoolean("clock_synchronized", clock.Synchronized);
            SenderCpu(w, sender.Cost);
            if (options.PerPacket) Replies(w, st);
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>
    /// What the measurement cost this probe (<see cref="SenderCost"/>): the send loop's work per packet
    /// without its waiting, the receive thread's CPU per datagram read.
    /// </summary>
    static void SenderCpu(Utf8JsonWriter w, SenderCost cost)
    {
        w.WriteStartObject("sender_cpu");
        Number(w, "send_busy_ns_per_packet", Math.Round(cost.SendNsPerPacket, 1));
        Number(w, "receive_cpu_ns_per_reply", Math.Round(cost.ReceiveNsPerReply, 1));
        w.WriteNumber("send_busy_ns", cost.SendBusyNs);
        w.WriteNumber("receive_cpu_ns", cost.ReceiveCpuNs);
        w.WriteNumber("replies_read", cost.RepliesHandled);
        w.WriteEndObject();
    }

    /// <summary>
    /// -R with --json: one record per measured reply (first copy within -L), in arrival order, with the departure time
    /// the summary uses, so that the summary can be recomputed from them.
    /// </summary>
    static void Replies(Utf8JsonWriter w, SessionStatistics st)
    {
        w.WriteStartArray("replies");
        foreach (var measured in st.Samples)
        {
            var s = st.AsMeasured(measured);
            w.WriteStartObject();
            w.WriteNumber("seq", s.SenderSequence);
            w.WriteNumber("reflector_seq", s.ReflectorSequence);
            Number(w, "rtt_us", s.RoundTripNs / 1e3);
            Number(w, "turnaround_us", s.TurnaroundNs / 1e3);
            Number(w, "forward_us", s.ForwardNs / 1e3);
            Number(w, "backward_us", s.BackwardNs / 1e3);
            Optional(w, "forward_ttl", s.ForwardTtl >= 0 ? s.ForwardTtl : null);
            Optional(w, "backward_ttl", s.BackwardTtl >= 0 ? s.BackwardTtl : null);
            Optional(w, "reflected_dscp", s.ReplyTrafficClass >= 0 ? s.ReplyTrafficClass >> 2 : null);
            Optional(w, "reflected_ecn", s.ReplyTrafficClass >= 0 ? s.ReplyTrafficClass & 3 : null);
            Optional(w, "forward_dscp", s.ForwardTrafficClass >= 0 ? s.ForwardTrafficClass >> 2 : null);
            w.WriteNumber("t1_unix_ns", s.T1);
            Optional(w, "tx_unix_ns", measured.T1Transmit != 0 ? measured.T1Transmit : null);
            w.WriteNumber("departure_unix_ns", s.Departure);
            w.WriteNumber("t2_unix_ns", s.T2);
            w.WriteNumber("t3_unix_ns", s.T3);
            w.WriteNumber("t4_unix_ns", s.T4);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>
    /// A delay object: min, p50, p90, p99, max, mean, and the older median and p95 (µs; null without
    /// data). Internal so that other reports (OWAMP) write the same objects.
    /// </summary>
    internal static void Stats(Utf8JsonWriter w, string name, DelaySummary s)
    {
        w.WriteStartObject(name);
        Number(w, "min", s.Min);
        Number(w, "p50", s.P50);
        Number(w, "p90", s.P90);
        Number(w, "p99", s.P99);
        Number(w, "max", s.Max);
        Number(w, "mean", s.Mean);
        Number(w, "median", s.Median);
        Number(w, "p95", s.P95);
        w.WriteEndObject();
    }

    /// <summary>Forward/backward split (null each when the reflector's numbering cannot be trusted).</summary>
    static void Directions(Utf8JsonWriter w, DirectionalLoss d)
    {
        w.WriteBoolean("directional_loss_known", d.Known);
        if (d.Reason is { } why) w.WriteString("directional_loss_note", why);
        else w.WriteNull("directional_loss_note");
        Count(w, "forward_lost", d.Known, d.ForwardLost);
        Count(w, "backward_lost", d.Known, d.BackwardLost);
        Count(w, "lost_direction_unknown", d.Known, d.DirectionUnknown);
        Count(w, "forward_duplicates", d.Known, d.ForwardDuplicates);
        Count(w, "backward_duplicates", d.Known, d.BackwardDuplicates);
        Count(w, "forward_reordered", d.Known, d.ForwardReordered);
        Count(w, "backward_reordered", d.Known, d.BackwardReordered);
    }

    static void Count(Utf8JsonWriter w, string name, bool known, long v)
    {
        if (known) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    internal static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (!double.IsFinite(v)) w.WriteNull(name);
        else w.WriteNumber(name, NoNegativeZero(Math.Round(v, 3)));
    }

    static void Optional(Utf8JsonWriter w, string name, int? v)
    {
        if (v is int i) w.WriteNumber(name, i);
        else w.WriteNull(name);
    }

    static void Optional(Utf8JsonWriter w, string name, long? v)
    {
        if (v is long l) w.WriteNumber(name, l);
        else w.WriteNull(name);
    }
}
