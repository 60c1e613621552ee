using System.Globalization;
using System.Net;
using System.Text.Json;
using TwampProbe.Owamp.Client;
using TwampProbe.Protocol.Statistics;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Time;

namespace TwampProbe.Cli;

/// <summary>
/// owping's results per direction, as text or as one JSON object (schema in README): loss, duplicates,
/// reordering, one-way delay min/p50/p90/p99/max, IPDV and PDV, hops — and beside every delay the
/// clocks' synchronization state and the combined error estimate of the two timestamps: a one-way delay
/// is only meaningful with both clocks synchronized (RFC 4656 §4.1.2 S bit), and is flagged otherwise.
/// </summary>
public sealed class OwpingReport(OwpingOptions options, TextWriter output)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The statistics of one direction, from its packet records.</summary>
    /// <param name="Lost">Packets with a lost record (RFC 4656 §3.9) or received only after the loss threshold.</param>
    /// <param name="Unaccounted">Sent packets with no record at all: after an early Stop-Sessions the receiver
    /// "MUST discard any packet records — including lost packet records —" of the packets sent within the last
    /// Timeout (§3.8); they are neither received nor lost.</param>
    public sealed record Direction(OwampDirectionResult Result, DirectionSummary Summary, long Sent, long Lost, long Unaccounted,
        double ErrorUs, bool Reliable, bool SenderSynchronized, bool ReceiverSynchronized, (int Value, bool Consistent)? Hops)
    {
        public long Received => Summary.Received;
        /// <summary>Loss over the packets that were judged (received or lost).</summary>
        public double LossPercent => Received + Lost == 0 ? 0 : 100.0 * Lost / (Received + Lost);
    }

    public static Direction Analyze(OwampDirectionResult r, TimeSpan timeout)
    {
        var received = r.Records.Where(x => !x.IsLost).ToList();
        var stats = new DirectionStatistics(0, (long)timeout.TotalNanoseconds, received.Count);
        foreach (var x in received) stats.Add(x.SequenceNumber, x.SendTimestamp.ToUnixNanoseconds(), x.ReceiveTimestamp.ToUnixNanoseconds());
        var summary = stats.Summarize(r.NextSeqno);
        // Skipped packets were never sent (RFC 4656 §3.8): not lost.
        long sent = r.PacketsSent;
        long lostRecords = r.Records.Where(x => x.IsLost && !stats.Sequence.IsReceived(x.SequenceNumber)).Select(x => x.SequenceNumber).Distinct().Count();
        long lost = lostRecords + summary.Loss.Late;
        long unaccounted = Math.Max(0, sent - summary.Received - lost);
        // The combined error of a one-way delay is the sum of the two timestamps' error estimates (RFC 4656 §4.1.2).
        double error = received.Count == 0 ? double.NaN : received.Max(x => Seconds(x.SendError) + Seconds(x.ReceiveError)) * 1e6;
        bool senderSync = received.Count > 0 && received.All(x => x.SendError.Synchronized);
        bool receiverSync = received.Count > 0 && received.All(x => x.ReceiveError.Synchronized);
        // Senders send with TTL 255 (RFC 4656 §4.1.2): hops = 255 − TTL as received, as twping and owping count them.
        var hops = SessionStatistics.Mode(received.Select(x => 255 - x.Ttl));
        return new Direction(r, summary, sent, lost, unaccounted, error, senderSync && receiverSync, senderSync, receiverSync, hops);
    }

    static double Seconds(ErrorEstimate e) => e.IsValid ? e.ErrorSeconds : 0;

    /// <summary>Prints the report; returns the exit code (ping's: 1 when nothing arrived in any direction).</summary>
    public int Print(TwampModes mode, IPEndPoint server, OwampDirectionResult? send, OwampDirectionResult? receive, ClockState clock)
    {
        var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        var s = send is null ? null : Analyze(send, timeout);
        var r = receive is null ? null : Analyze(receive, timeout);
        if (options.Json) WriteJson(mode, server, s, r, clock);
        else
        {
            if (options.PerPacket)
            {
                if (s is not null) PerPacket(s);
                if (r is not null) PerPacket(r);
            }
            if (s is not null) WriteText(s, "client → server", mode);
            if (r is not null) WriteText(r, "server → client", mode);
            output.WriteLine($"clock here: {(clock.Synchronized ? "synchronized" : "UNSYNCHRONIZED")} ({clock.ErrorEstimate})");
        }
        var measured = new[] { s, r }.Where(d => d is not null).Select(d => d!).ToList();
        if (measured.Any(d => d.Result.Error is not null)) return ExitCode.Refused;
        // All lost: nothing arrived and something was judged lost. Packets not judged (sent within the Timeout
        // before an early Stop-Sessions, RFC 4656 §3.8) are not losses: a run stopped that early measured nothing.
        return measured.All(d => d.Received == 0 && d.Lost > 0) ? ExitCode.AllLost : ExitCode.Ok;
    }

    /// <summary>Unix nanoseconds as seconds with all nine decimals (a double has only about 16 digits: 10 µs steps here).</summary>
    internal static string Seconds(long unixNs) =>
        unixNs < 0 ? $"-{Seconds(-unixNs)}" : string.Create(Inv, $"{unixNs / 1_000_000_000}.{unixNs % 1_000_000_000:D9}");

    static string Ms(double us) => double.IsFinite(us) ? (us / 1000).ToString("0.000", Inv) : "-";

    static string Format(IPEndPoint ep) => Config.EndpointText.Format(ep);

    static string Clocks(Direction d) => d.Reliable
        ? "clocks synchronized"
        : $"UNRELIABLE: clocks not synchronized (sender {(d.SenderSynchronized ? "synchronized" : "unsynchronized")}, receiver {(d.ReceiverSynchronized ? "synchronized" : "unsynchronized")})";

    void WriteText(Direction d, string arrow, TwampModes mode)
    {
        var o = output;
        var r = d.Result;
        o.WriteLine();
        o.WriteLine($"--- owping statistics from {Format(r.From)} to {Format(r.To)} ({r.Name}: {arrow}) ---");
        o.WriteLine($"SID: {SessionId.ToHex(r.Sid)}   mode: {mode.Name()}");
        if (r.Error is not null) o.WriteLine($"results invalid: {r.Error}");
        string skipped = r.SkipRanges.Count > 0 ? $", {r.NextSeqno - d.Sent} skipped by the sender" : "";
        string dropped = r.Dropped > 0 ? $", {r.Dropped} invalid dropped" : "";
        string unaccounted = d.Unaccounted > 0 ? $", {d.Unaccounted} not judged (sent within the Timeout before Stop-Sessions)" : "";
        o.WriteLine(string.Create(Inv, $"{d.Sent} sent, {d.Received} received, {d.Lost} lost ({d.LossPercent:0.000}%), {d.Summary.Duplicates} duplicates, {d.Summary.Reordered} reordered{skipped}{unaccounted}{dropped}"));
        if (d.Received == 0) { o.WriteLine("no packets received"); return; }
        var delay = d.Summary.DelayUs.Delay;
        o.WriteLine($"one-way delay min/p50/p90/p99/max = {Ms(delay.Min)}/{Ms(delay.P50)}/{Ms(delay.P90)}/{Ms(delay.P99)}/{Ms(delay.Max)} ms " +
            $"(error ±{Ms(d.ErrorUs)} ms; {Clocks(d)})");
        // owping's "one-way jitter = X ms (P95-P50)": the number owping users compare (RFC 3393's IPDV is the next line).
        o.WriteLine($"one-way jitter = {Ms(delay.P95MinusP50)} ms (P95-P50 of delay, as owping)");
        var stats = d.Summary.DelayUs;
        o.WriteLine($"jitter (IPDV, mean |Δ|) = {Ms(stats.IpdvAbsolute.Mean)} ms   IPDV p99 |Δ| = {Ms(stats.IpdvAbsolute.P99)} ms   PDV p50/p99 = {Ms(stats.Pdv.P50)}/{Ms(stats.Pdv.P99)} ms");
        if (d.Hops is { } h) o.WriteLine($"hops = {h.Value} (TTL {255 - h.Value} received, sent with 255{(h.Consistent ? "" : "; varying")})");
        if (r.TrafficClass >= 0) o.WriteLine($"DSCP/ECN received here = {r.TrafficClass >> 2}/{r.TrafficClass & 3}{(r.TrafficClassVaried ? " (varying)" : "")} (requested DSCP {options.Dscp})");
    }

    void PerPacket(Direction d)
    {
        foreach (var x in d.Result.Records)
        {
            long sent = x.SendTimestamp.ToUnixNanoseconds();
            if (x.IsLost)
            {
                output.WriteLine(string.Create(Inv, $"{d.Result.Name} seq={x.SequenceNumber} sent={Seconds(sent)} lost"));
                continue;
            }
            long received = x.ReceiveTimestamp.ToUnixNanoseconds();
            double err = (Seconds(x.SendError) + Seconds(x.ReceiveError)) * 1e3;
            bool sync = x.SendError.Synchronized && x.ReceiveError.Synchronized;
            output.WriteLine(string.Create(Inv,
                $"{d.Result.Name} seq={x.SequenceNumber} sent={Seconds(sent)} received={Seconds(received)} delay={(received - sent) / 1e6:0.000} ms err=±{err:0.000} ms{(sync ? "" : " unsync")} ttl={x.Ttl}"));
        }
    }

    void WriteJson(TwampModes mode, IPEndPoint server, Direction? send, Direction? receive, ClockState clock)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mode", mode.Name());
            w.WriteString("server", Format(server));
            w.WriteBoolean("clock_synchronized", clock.Synchronized);
            DirectionJson(w, "send", send);
            DirectionJson(w, "receive", receive);
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    void DirectionJson(Utf8JsonWriter w, string name, Direction? d)
    {
        if (d is null) { w.WriteNull(name); return; }
        var r = d.Result;
        w.WriteStartObject(name);
        w.WriteString("from", Format(r.From));
        w.WriteString("to", Format(r.To));
        w.WriteString("sid", SessionId.ToHex(r.Sid));
        if (r.Error is not null) w.WriteString("error", r.Error);
        else w.WriteNull("error");
        w.WriteNumber("packets_sent", d.Sent);
        w.WriteNumber("packets_received", d.Received);
        w.WriteNumber("packets_lost", d.Lost);
        w.WriteNumber("loss_percent", Math.Round(d.LossPercent, 3));
        w.WriteNumber("duplicates", d.Summary.Duplicates);
        w.WriteNumber("reordered", d.Summary.Reordered);
        w.WriteNumber("skipped", r.NextSeqno - d.Sent);
        w.WriteNumber("unaccounted", d.Unaccounted);
        w.WriteNumber("invalid_dropped", r.Dropped);
        // The same delay object as ping's JSON: min, p50, p90, p99, max, mean (and median, p95).
        PingReport.Stats(w, "delay_us", d.Summary.DelayUs.Delay);
        Number(w, "owping_jitter_us", d.Summary.DelayUs.Delay.P95MinusP50);
        Number(w, "error_estimate_us", d.ErrorUs);
        w.WriteBoolean("one_way_reliable", d.Reliable);
        w.WriteBoolean("sender_synchronized", d.SenderSynchronized);
        w.WriteBoolean("receiver_synchronized", d.ReceiverSynchronized);
        var stats = d.Summary.DelayUs;
        w.WriteStartObject("ipdv_us");
        // Kept as they always were: mean and p99 of |IPDV| (the text's "jitter").
        Number(w, "mean_abs", stats.IpdvAbsolute.Mean);
        Number(w, "p99_abs", stats.IpdvAbsolute.P99);
        // Signed IPDV (RFC 3393), the same members as ping's ipdv_us.rtt/forward/backward.
        Number(w, "min", stats.Ipdv.Min);
        Number(w, "p50", stats.Ipdv.P50);
        Number(w, "p90", stats.Ipdv.P90);
        Number(w, "p99", stats.Ipdv.P99);
        Number(w, "max", stats.Ipdv.Max);
        Number(w, "mean", stats.Ipdv.Mean);
        Number(w, "median", stats.Ipdv.Median);
        Number(w, "p95", stats.Ipdv.P95);
        w.WriteEndObject();
        PingReport.Stats(w, "pdv_us", stats.Pdv);
        if (d.Hops is { } h) w.WriteNumber("hops", h.Value);
        else w.WriteNull("hops");
        if (d.Hops is { } t) w.WriteNumber("ttl", 255 - t.Value);
        else w.WriteNull("ttl");
        // Only our own receiver sees the IP header; the server's records carry no DSCP.
        if (r.TrafficClass >= 0) { w.WriteNumber("dscp", r.TrafficClass >> 2); w.WriteNumber("ecn", r.TrafficClass & 3); }
        else { w.WriteNull("dscp"); w.WriteNull("ecn"); }
        if (options.PerPacket)
        {
            w.WriteStartArray("packets");
            foreach (var x in r.Records)
            {
                w.WriteStartObject();
                w.WriteNumber("seq", x.SequenceNumber);
                w.WriteBoolean("lost", x.IsLost);
                w.WriteNumber("send_unix_ns", x.SendTimestamp.ToUnixNanoseconds());
                if (x.IsLost) { w.WriteNull("receive_unix_ns"); w.WriteNull("delay_us"); }
                else
                {
                    w.WriteNumber("receive_unix_ns", x.ReceiveTimestamp.ToUnixNanoseconds());
                    Number(w, "delay_us", (x.ReceiveTimestamp.ToUnixNanoseconds() - x.SendTimestamp.ToUnixNanoseconds()) / 1e3);
                }
                Number(w, "error_estimate_us", (Seconds(x.SendError) + Seconds(x.ReceiveError)) * 1e6);
                w.WriteBoolean("synchronized", x.SendError.Synchronized && x.ReceiveError.Synchronized);
                // A lost packet's record carries TTL 255 as "unavailable" (RFC 4656 §3.9): no hop count was seen.
                if (x.IsLost) w.WriteNull("ttl");
                else w.WriteNumber("ttl", x.Ttl);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    static void Number(Utf8JsonWriter w, string name, double v) => PingReport.Number(w, name, v);
}
