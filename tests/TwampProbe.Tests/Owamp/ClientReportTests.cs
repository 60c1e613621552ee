using TwampProbe.Cli;
using TwampProbe.Owamp.Client;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Time;

namespace TwampProbe.Tests.Owamp;

/// <summary>owping's per-direction statistics and report from packet records (known answers).</summary>
public sealed class ClientReportTests
{
    const long T0 = 1_800_000_000_000_000_000;
    static readonly ErrorEstimate Synced10us = ErrorEstimate.FromError(10e-6, true);
    static readonly ErrorEstimate Unsynced1ms = ErrorEstimate.FromError(1e-3, false);

    static PacketRecord Received(uint seq, long delayUs, ErrorEstimate? send = null, ErrorEstimate? receive = null, byte ttl = 253)
    {
        long sent = T0 + seq * 10_000_000L;
        return new PacketRecord(seq, send ?? Synced10us, receive ?? Synced10us,
            NtpTimestamp.FromUnixNanoseconds(sent), NtpTimestamp.FromUnixNanoseconds(sent + delayUs * 1000), ttl);
    }

    static PacketRecord Lost(uint seq) => PacketRecord.Lost(seq, NtpTimestamp.FromUnixNanoseconds(T0 + seq * 10_000_000L), Synced10us);

    static OwampDirectionResult Direction(IReadOnlyList<PacketRecord> records, uint next = 10, IReadOnlyList<SkipRange>? skips = null) => new()
    {
        Name = "send", Sid = new byte[16], From = new IPEndPoint(IPAddress.Loopback, 1), To = new IPEndPoint(IPAddress.Loopback, 2),
        NextSeqno = next, SkipRanges = skips ?? [], Records = records,
    };

    [Fact]
    public void LossDuplicatesReorderingDelaysAndHopsOfOneDirection()
    {
        // Sent 0-9; 3 and 7 lost; 5 duplicated; 6 arrives before 5 (5 is reordered). Delays 1000 + 100·seq µs.
        var records = new List<PacketRecord>();
        foreach (uint s in new uint[] { 0, 1, 2, 4, 6, 5, 5, 8, 9 }) records.Add(Received(s, 1000 + 100 * s));
        records.Add(Lost(3));
        records.Add(Lost(7));
        var d = OwpingReport.Analyze(Direction(records), TimeSpan.FromSeconds(2));

        Assert.Equal(10, d.Sent);
        Assert.Equal(8, d.Received);
        Assert.Equal(2, d.Lost);
        Assert.Equal(1, d.Summary.Duplicates);
        Assert.Equal(1, d.Summary.Reordered);
        var delay = d.Summary.DelayUs.Delay;
        Assert.Equal(1000, delay.Min, 3);
        Assert.Equal(1900, delay.Max, 3);
        Assert.Equal(1400, delay.P50, 3); // nearest rank 4 of 8 (seq 0,1,2,4,5,6,8,9): seq 4, 1400 µs
        // IPDV over consecutive received pairs (0-1, 1-2, 4-5, 5-6, 8-9): each +100 µs.
        Assert.Equal(100, d.Summary.DelayUs.IpdvAbsolute.Mean, 3);
        Assert.Equal(900, d.Summary.DelayUs.Pdv.Max, 3);
        Assert.Equal((2, true), d.Hops);  // TTL 253 received, sent with 255
        Assert.True(d.Reliable);
        Assert.InRange(d.ErrorUs, 20, 21); // two 10 µs estimates (rounded up when encoded)
    }

    [Fact]
    public void SkippedPacketsAreNeitherSentNorLost()
    {
        var records = Enumerable.Range(4, 6).Select(s => Received((uint)s, 500)).ToList();
        var d = OwpingReport.Analyze(Direction(records, next: 10, skips: [new SkipRange(0, 3)]), TimeSpan.FromSeconds(2));
        Assert.Equal(6, d.Sent);
        Assert.Equal(6, d.Received);
        Assert.Equal(0, d.Lost);
    }

    [Fact]
    public void PacketsWithoutAnyRecordAreUnaccountedNotLost()
    {
        // An early Stop-Sessions: the receiver discarded the records of 7-9 (RFC 4656 §3.8); 5 was lost.
        var records = new List<PacketRecord> { Received(0, 100), Received(1, 100), Received(2, 100), Received(3, 100), Received(4, 100), Received(6, 100), Lost(5) };
        var d = OwpingReport.Analyze(Direction(records), TimeSpan.FromSeconds(2));
        Assert.Equal(10, d.Sent);
        Assert.Equal(6, d.Received);
        Assert.Equal(1, d.Lost);
        Assert.Equal(3, d.Unaccounted);
        Assert.Equal(100.0 / 7, d.LossPercent, 6);
    }

    [Fact]
    public void OneUnsynchronizedClockMakesTheDelaysUnreliableAndTheReportSaysSo()
    {
        var records = Enumerable.Range(0, 10).Select(s => Received((uint)s, 300, receive: Unsynced1ms)).ToList();
        var d = OwpingReport.Analyze(Direction(records), TimeSpan.FromSeconds(2));
        Assert.False(d.Reliable);
        Assert.True(d.SenderSynchronized);
        Assert.False(d.ReceiverSynchronized);

        var text = new StringWriter();
        var o = OwpingOptions.Parse(["-t", "host"]);
        using var clock = new ClockState(TimeSpan.Zero);
        new OwpingReport(o, text).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861), Direction(records), null, clock);
        var line = text.ToString().Split('\n').Single(l => l.StartsWith("one-way delay"));
        Assert.Contains("UNRELIABLE: clocks not synchronized (sender synchronized, receiver unsynchronized)", line);
        Assert.Contains("error ±1.", line);

        var json = new StringWriter();
        new OwpingReport(o with { Json = true }, json).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861), Direction(records), null, clock);
        using var doc = System.Text.Json.JsonDocument.Parse(json.ToString());
        var send = doc.RootElement.GetProperty("send");
        Assert.False(send.GetProperty("one_way_reliable").GetBoolean());
        Assert.Equal(10, send.GetProperty("packets_received").GetInt32());
        Assert.Equal(300, send.GetProperty("delay_us").GetProperty("p50").GetDouble(), 3);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, doc.RootElement.GetProperty("receive").ValueKind);
        foreach (var member in new[] { "packets_sent", "packets_lost", "duplicates", "reordered", "error_estimate_us", "hops" })
            Assert.True(send.TryGetProperty(member, out _), member);
        foreach (var member in new[] { "min", "p50", "p90", "p99", "max", "mean" })
            Assert.True(send.GetProperty("delay_us").TryGetProperty(member, out _), member);
    }

    [Fact]
    public void JsonIpdvHasThePingSetOfMembersWithKnownValuesAndKeepsItsOldOnes()
    {
        // Delays (µs) of seq 0-10; IPDV of consecutive pairs: +100 -100 +300 0 -100 +200 -400 +500 0 +100,
        // sorted -400 -100 -100 0 0 100 100 200 300 500 (nearest rank: p50 = 5th, p90 = 9th, p95/p99 = 10th).
        long[] delays = [1000, 1100, 1000, 1300, 1300, 1200, 1400, 1000, 1500, 1500, 1600];
        var records = delays.Select((us, i) => Received((uint)i, us)).ToList();
        var o = OwpingOptions.Parse(["-t", "--json", "host"]);
        using var clock = new ClockState(TimeSpan.Zero);
        var json = new StringWriter();

        new OwpingReport(o, json).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861), Direction(records, next: 11), null, clock);

        using var doc = System.Text.Json.JsonDocument.Parse(json.ToString());
        var ipdv = doc.RootElement.GetProperty("send").GetProperty("ipdv_us");
        double Get(string m) => ipdv.GetProperty(m).GetDouble();
        Assert.Equal(-400, Get("min"), 3);
        Assert.Equal(0, Get("p50"), 3);
        Assert.Equal(0, Get("median"), 3);
        Assert.Equal(300, Get("p90"), 3);
        Assert.Equal(500, Get("p95"), 3);
        Assert.Equal(500, Get("p99"), 3);
        Assert.Equal(500, Get("max"), 3);
        Assert.Equal(60, Get("mean"), 3);
        // |IPDV|: 100 100 300 0 100 200 400 500 0 100, mean 180, p99 500.
        Assert.Equal(180, Get("mean_abs"), 3);
        Assert.Equal(500, Get("p99_abs"), 3);
    }

    [Fact]
    public void NothingReceivedInAnyDirectionExitsWithOne()
    {
        using var clock = new ClockState(TimeSpan.Zero);
        var all = Enumerable.Range(0, 10).Select(s => Lost((uint)s)).ToList();
        var o = OwpingOptions.Parse(["host"]);
        int code = new OwpingReport(o, new StringWriter()).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861),
            Direction(all), Direction(all) with { Name = "receive" }, clock);
        Assert.Equal(ExitCode.AllLost, code);
        int some = new OwpingReport(o, new StringWriter()).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861),
            Direction(all), Direction([Received(0, 100)]) with { Name = "receive" }, clock);
        Assert.Equal(ExitCode.Ok, some);
    }

    [Fact]
    public void ARunStoppedBeforeAnythingWasJudgedLostExitsWithZero()
    {
        // Stopped within the first Timeout: 43 sent each way, no record (RFC 4656 §3.8: not judged), none lost.
        using var clock = new ClockState(TimeSpan.Zero);
        var text = new StringWriter();
        int code = new OwpingReport(OwpingOptions.Parse(["host"]), text).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861),
            Direction([], next: 43), Direction([], next: 43) with { Name = "receive" }, clock);
        Assert.True(code == ExitCode.Ok, text.ToString());
        Assert.Contains("43 not judged", text.ToString());
    }

    [Fact]
    public void PerPacketTimesKeepEveryNanosecond()
    {
        // 1796184340.113214567 s: a double divided by 1e9 printed it as …113210000.
        Assert.Equal("1796184340.113214567", OwpingReport.Seconds(1_796_184_340_113_214_567));
        Assert.Equal("0.000000001", OwpingReport.Seconds(1));
        using var clock = new ClockState(TimeSpan.Zero);
        var text = new StringWriter();
        var record = new PacketRecord(0, Synced10us, Synced10us,
            NtpTimestamp.FromUnixNanoseconds(1_796_184_340_113_214_567), NtpTimestamp.FromUnixNanoseconds(1_796_184_340_113_259_999), 253);
        new OwpingReport(OwpingOptions.Parse(["-R", "host"]), text).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861),
            Direction([record], next: 1), null, clock);
        // NTP fractions are 2^-32 s: the nanoseconds come back floored, within a nanosecond.
        Assert.Matches(@"send seq=0 sent=1796184340\.11321456[67] received=1796184340\.11325999[89] delay=0\.045 ms", text.ToString());
    }

    [Fact]
    public void RefusedFetchIsReportedAndExitsWithFour()
    {
        using var clock = new ClockState(TimeSpan.Zero);
        var text = new StringWriter();
        int code = new OwpingReport(OwpingOptions.Parse(["-t", "host"]), text).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861),
            Direction([]) with { Error = "the server refused to return the results (Fetch-Ack Accept=1: failure)" }, null, clock);
        Assert.Equal(ExitCode.Refused, code);
        Assert.Contains("results invalid: the server refused", text.ToString());
    }

    [Fact]
    public void OwpingsJitterIsP95MinusP50OfTheDelaysInTextAndJson()
    {
        // Delays 1000, 1100, ..., 2900 µs (seq 0-19), shuffled in arrival order: nearest rank P50 = 10th = 1900,
        // P95 = 19th = 2800; owping prints "one-way jitter = 0.9 ms (P95-P50)".
        var records = Enumerable.Range(0, 20).Select(s => Received((uint)s, 1000 + 100 * ((s * 7) % 20))).ToList();
        using var clock = new ClockState(TimeSpan.Zero);
        var text = new StringWriter();
        new OwpingReport(OwpingOptions.Parse(["-t", "host"]), text).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861),
            Direction(records, next: 20), null, clock);
        Assert.Contains("one-way jitter = 0.900 ms (P95-P50 of delay, as owping)", text.ToString());

        var json = new StringWriter();
        new OwpingReport(OwpingOptions.Parse(["-t", "--json", "host"]), json).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861),
            Direction(records, next: 20), null, clock);
        using var doc = System.Text.Json.JsonDocument.Parse(json.ToString());
        Assert.Equal(900, doc.RootElement.GetProperty("send").GetProperty("owping_jitter_us").GetDouble(), 3);
    }

    [Fact]
    public void PerPacketJsonOfALostPacketHasNoTtl()
    {
        // A lost record's TTL is 255, "unavailable": as a number it would read as a packet seen 0 hops away.
        using var clock = new ClockState(TimeSpan.Zero);
        var json = new StringWriter();
        new OwpingReport(OwpingOptions.Parse(["-t", "--json", "-R", "host"]), json).Print(TwampModes.Unauthenticated, new IPEndPoint(IPAddress.Loopback, 861),
            Direction([Received(0, 100), Lost(1)], next: 2), null, clock);
        using var doc = System.Text.Json.JsonDocument.Parse(json.ToString());
        var packets = doc.RootElement.GetProperty("send").GetProperty("packets");
        Assert.Equal(253, packets[0].GetProperty("ttl").GetInt32());
        Assert.True(packets[1].GetProperty("lost").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, packets[1].GetProperty("ttl").ValueKind);
    }
}
