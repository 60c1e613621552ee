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

    public void PerPacket(ReplySample s)
    {
        if (options.Json) return;
        lock (_gate)
            output.WriteLine(string.Create(Inv,
                $"seq={s.SenderSequence} rtt={s.RoundTripNs / 1e6:0.000} ms turnaround={s.TurnaroundNs / 1e3:0.0} us fwd={s.ForwardNs / 1e6:0.000} ms bwd={s.BackwardNs / 1e6:0.000} ms ttl={s.ForwardTtl} dscp={(s.ReplyTrafficClass >= 0 ? s.ReplyTrafficClass >> 2 : -1)}"));
    }

    public int Print(SessionSender sender, TwampModes mode, string modeName, IPEndPoint reflector, byte[]? sid, ClockState clock)
    {
        var st = sender.Statistics;
        if (options.Json) WriteJson(st, modeName, sender, reflector, sid, clock);
        else WriteText(st, modeName, sender, reflector, sid, clock);
        return st.PacketsReceived == 0 && st.PacketsSent > 0 ? ExitCode.AllLost : ExitCode.Ok;
    }

    /// <summary>Milliseconds with 3 decimals; "-" when there is no data (one packet has no IPDV, no reply has no delay).</summary>
    static string Ms(double us) => double.IsFinite(us) ? (us / 1000).ToString("0.000", Inv) : "-";
    static string Us(double us) => double.IsFinite(us) ? us.ToString("0.0", Inv) : "-";

    void WriteText(SessionStatistics st, string mode, SessionSender sender, IPEndPoint reflector, byte[]? sid, ClockState clock)
    {
        var o = output;
        o.WriteLine();
        o.WriteLine($"--- twampprobe statistics from {Format(sender.SourceEndPoint)} to {Format(reflector)} ---");
        o.WriteLine(string.Create(Inv, $"mode: {mode}{(sid is null ? "" : $"   SID: {SessionId.ToHex(sid)}")}   timestamps: {TimestampSource(st)}"));
        if (sender.RxTimestampSource == Linux.Net.TimestampSource.User)
            o.WriteLine($"note: {sender.TimestampFallbackReason ?? "kernel timestamps unavailable"} — T1/T4 come from user space");
        o.WriteLine(string.Create(Inv, $"{st.PacketsSent} sent, {st.PacketsReceived} received, {st.Lost} lost ({st.LossPercent:0.000}%), {st.Duplicates} duplicates, {st.Reordered} reordered, {st.Invalid} invalid"));
        if (!st.ReflectorConforming)
            o.WriteLine($"note: non-conforming reflector: sends short replies ({st.ShortReplies} shorter than RFC 5357's {sender.ConformingReplyLength} octets); delays measured, forward TTL unknown");
        if (st.PacketsReceived == 0) { o.WriteLine("no replies received"); return; }
        var rtt = st.RoundTrip.Delay;
        o.WriteLine($"round-trip time min/median/p95/p99/max = {Ms(rtt.Min)}/{Ms(rtt.Median)}/{Ms(rtt.P95)}/{Ms(rtt.P99)}/{Ms(rtt.Max)} ms");
        var ta = st.Turnaround.Delay;
        o.WriteLine($"reflector turnaround min/median/max = {Us(ta.Min)}/{Us(ta.Median)}/{Us(ta.Max)} us");
        var f = st.Forward.Delay;
        var b = st.Backward.Delay;
        string flag = st.OneWayReliable ? "" : "   (unreliable: clocks not synchronized)";
        o.WriteLine($"forward (send) delay min/median/max = {Ms(f.Min)}/{Ms(f.Median)}/{Ms(f.Max)} ms{flag}");
        o.WriteLine($"backward (reflect) delay min/median/max = {Ms(b.Min)}/{Ms(b.Median)}/{Ms(b.Max)} ms{flag}");
        o.WriteLine(string.Create(Inv, $"jitter (IPDV, mean |Δ|) round-trip/forward/backward = {Ms(st.RoundTrip.IpdvAbsolute.Mean)}/{Ms(st.Forward.IpdvAbsolute.Mean)}/{Ms(st.Backward.IpdvAbsolute.Mean)} ms"));
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

    static string Format(IPEndPoint ep) => ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : ep.ToString();

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
            w.WriteNumber("duplicates", st.Duplicates);
            w.WriteNumber("reordered", st.Reordered);
            w.WriteNumber("invalid", st.Invalid);
            w.WriteBoolean("reflector_conforming", st.ReflectorConforming);
            w.WriteNumber("short_replies", st.ShortReplies);
            Stats(w, "rtt_us", st.RoundTrip.Delay, full: true);
            Stats(w, "turnaround_us", st.Turnaround.Delay, full: false);
            Stats(w, "forward_delay_us", st.Forward.Delay, full: false);
            Stats(w, "backward_delay_us", st.Backward.Delay, full: false);
            w.WriteBoolean("one_way_reliable", st.OneWayReliable);
            w.WriteStartObject("ipdv_us");
            Number(w, "rtt_mean", st.RoundTrip.IpdvAbsolute.Mean);
            Number(w, "rtt_p95", st.RoundTrip.IpdvAbsolute.P95);
            Number(w, "forward_mean", st.Forward.IpdvAbsolute.Mean);
            Number(w, "backward_mean", st.Backward.IpdvAbsolute.Mean);
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
            // Where T4 came from; no reply, no T4: null, as the text says "-".
            if (st.Samples.Count > 0) w.WriteString("timestamp_source", TimestampSource(st));
            else w.WriteNull("timestamp_source");
            if (sender.TimestampFallbackReason is { } why) w.WriteString("timestamp_note", why);
            w.WriteBoolean("clock_synchronized", clock.Synchronized);
            if (options.PerPacket) Replies(w, st);
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>-R with --json: one record per reply, in arrival order (the text form prints them as they come).</summary>
    static void Replies(Utf8JsonWriter w, SessionStatistics st)
    {
        w.WriteStartArray("replies");
        foreach (var s in st.Samples)
        {
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
            w.WriteNumber("t4_unix_ns", s.T4);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    static void Stats(Utf8JsonWriter w, string name, DelaySummary s, bool full)
    {
        w.WriteStartObject(name);
        Number(w, "min", s.Min);
        Number(w, "median", s.Median);
        if (full) { Number(w, "p95", s.P95); Number(w, "p99", s.P99); }
        Number(w, "max", s.Max);
        Number(w, "mean", s.Mean);
        w.WriteEndObject();
    }

    static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (!double.IsFinite(v)) w.WriteNull(name);
        else w.WriteNumber(name, Math.Round(v, 3));
    }

    static void Optional(Utf8JsonWriter w, string name, int? v)
    {
        if (v is int i) w.WriteNumber(name, i);
        else w.WriteNull(name);
    }
}
