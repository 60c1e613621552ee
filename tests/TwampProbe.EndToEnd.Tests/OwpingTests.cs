using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// <c>owping</c> against <c>serve</c>, both the published binary, on loopback: every mode, both
/// directions at once and one at a time, IPv4 and IPv6, bad test packets dropped and counted, and
/// tshark's OWAMP-Test dissector on our unauthenticated test packets. OWAMP-Control on ephemeral ports.
/// </summary>
public sealed class OwpingTests : IDisposable
{
    readonly TempDir _dir = new();
    readonly ServerProcess _server;
    readonly string _keys;
    readonly int _owamp4 = Binary.FreeTcpPort(), _owamp6 = Binary.FreeTcpPort(AddressFamily.InterNetworkV6);
    readonly int _low, _high;

    public OwpingTests()
    {
        _keys = Binary.WriteKeyFile(_dir.Path, "alice", "one-way secret");
        (_low, _high) = Binary.PortRange(20);
        _server = new ServerProcess($"--keyfile {_keys} --test-ports {_low}-{_high} --owamp-listen 127.0.0.1:{_owamp4} --owamp-listen [::1]:{_owamp6}");
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    string Target(int family) => family == 6 ? $"[::1]:{_owamp6}" : $"127.0.0.1:{_owamp4}";

    static JsonElement Json(Binary.Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    static void AssertComplete(JsonElement d, int count)
    {
        Assert.Equal(JsonValueKind.Null, d.GetProperty("error").ValueKind);
        Assert.Equal(count, d.GetProperty("packets_sent").GetInt32());
        Assert.Equal(count, d.GetProperty("packets_received").GetInt32());
        Assert.Equal(0, d.GetProperty("packets_lost").GetInt32());
        Assert.Equal(0, d.GetProperty("duplicates").GetInt32());
        var delay = d.GetProperty("delay_us");
        Assert.InRange(delay.GetProperty("min").GetDouble(), -1_000, 100_000); // one host, one clock
        Assert.True(delay.GetProperty("max").GetDouble() >= delay.GetProperty("p99").GetDouble());
        Assert.True(delay.GetProperty("p90").GetDouble() >= delay.GetProperty("p50").GetDouble());
        Assert.True(d.GetProperty("error_estimate_us").GetDouble() > 0);
        // Reliable exactly when both timestamps say "synchronized".
        Assert.Equal(d.GetProperty("sender_synchronized").GetBoolean() && d.GetProperty("receiver_synchronized").GetBoolean(),
            d.GetProperty("one_way_reliable").GetBoolean());
        Assert.Equal(0, d.GetProperty("hops").GetInt32()); // loopback: TTL 255 arrives
    }

    [Theory]
    [InlineData("unauth", 4)]
    [InlineData("auth", 4)]
    [InlineData("enc", 4)]
    [InlineData("unauth", 6)]
    [InlineData("auth", 6)]
    [InlineData("enc", 6)]
    public void BothDirectionsAreMeasuredInEveryModeAndFamily(string mode, int family)
    {
        var auth = mode == "unauth" ? "" : $"-u alice -k {_keys}";
        var j = Json(Binary.Run($"owping -c 30 -i 0.005 -L 0.5 -m {mode} {auth} --json {Target(family)}"));
        Assert.Equal(mode, j.GetProperty("mode").GetString());
        AssertComplete(j.GetProperty("send"), 30);
        AssertComplete(j.GetProperty("receive"), 30);
        var from = j.GetProperty("receive").GetProperty("to").GetString()!;
        Assert.StartsWith(family == 6 ? "[::1]:" : "127.0.0.1:", from);
        Assert.Equal(0, j.GetProperty("receive").GetProperty("dscp").GetInt32());
    }

    [Fact]
    public void ToOnlyAndFromOnlyMeasureOneDirection()
    {
        var to = Json(Binary.Run($"owping -t -c 10 -i 0.005f -L 0.5 --json {Target(4)}"));
        AssertComplete(to.GetProperty("send"), 10);
        Assert.Equal(JsonValueKind.Null, to.GetProperty("receive").ValueKind);
        var from = Json(Binary.Run($"owping -f -c 10 -i 0.005f -L 0.5 --json {Target(4)}"));
        AssertComplete(from.GetProperty("receive"), 10);
        Assert.Equal(JsonValueKind.Null, from.GetProperty("send").ValueKind);
    }

    [Fact]
    public void TextReportFlagsUnsynchronizedDelaysAndPerPacketLinesAreOnePerPacket()
    {
        var r = Binary.Run($"owping -c 8 -i 0.005 -L 0.5 -D AF41 -R {Target(4)}");
        Assert.True(r.ExitCode == 0, $"{r.Stdout}\n{r.Stderr}");
        Assert.Equal(8, r.Stdout.Split('\n').Count(l => l.StartsWith("send seq=")));
        Assert.Equal(8, r.Stdout.Split('\n').Count(l => l.StartsWith("receive seq=")));
        Assert.Contains("(send: client → server)", r.Stdout);
        Assert.Contains("(receive: server → client)", r.Stdout);
        Assert.Contains("8 sent, 8 received, 0 lost", r.Stdout);
        Assert.Contains("DSCP/ECN received here = 34/0", r.Stdout); // Type-P DSCP honoured by the server's sender
        foreach (var line in r.Stdout.Split('\n').Where(l => l.StartsWith("one-way delay")))
        {
            Assert.Contains("error ±", line);
            Assert.True(line.Contains("clocks synchronized") || line.Contains("UNRELIABLE: clocks not synchronized"), line);
        }
    }

    [Fact]
    public void WrongSecretIsARefusalAndNoServerIsANetworkError()
    {
        var other = Binary.WriteKeyFile(Directory.CreateDirectory(_dir.File("other")).FullName, "alice", "not the secret");
        var refused = Binary.Run($"owping -c 5 -m enc -u alice -k {other} {Target(4)}");
        Assert.Equal(4, refused.ExitCode);
        int port = Binary.FreeTcpPort();
        var none = Binary.Run($"owping -c 5 127.0.0.1:{port}");
        Assert.Equal(5, none.ExitCode);
        Assert.Contains("connection refused", none.Stderr);
        Assert.Contains($"is an OWAMP server listening there (TCP {port})?", none.Stderr); // the port tried, not 861
        Assert.Equal(2, Binary.Run("owping -m mixed -u alice -k x host").ExitCode);
    }

    static Process Start(string args) => Process.Start(new ProcessStartInfo(Binary.Path, args)
    { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;

    [Fact]
    public async Task SigtermEndsTheRunEarlyAndReportsWhatWasMeasured()
    {
        using var p = Start($"owping -c 1000 -i 0.01f -L 0.3 --json {Target(4)}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        Thread.Sleep(2500);
        Binary.Signal(p, Binary.SIGTERM);
        Assert.True(p.WaitForExit(10_000), "owping did not end after SIGTERM");
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {p.StandardError.ReadToEnd()}");
        var j = JsonDocument.Parse(await stdout).RootElement;
        foreach (var name in new[] { "send", "receive" })
        {
            var d = j.GetProperty(name);
            int sent = d.GetProperty("packets_sent").GetInt32();
            Assert.InRange(sent, 50, 500);
            // Stopped early: the records of the last Timeout are discarded (RFC 4656 §3.8), the rest is judged.
            Assert.Equal(sent, d.GetProperty("packets_received").GetInt32() + d.GetProperty("packets_lost").GetInt32() + d.GetProperty("unaccounted").GetInt32());
            Assert.InRange(d.GetProperty("packets_received").GetInt32(), sent - 60, sent);
        }
    }

    [Fact]
    public async Task ServerGoneDuringTheMeasurementIsANetworkError()
    {
        int port = Binary.FreeTcpPort();
        var (lo, hi) = Binary.PortRange(4);
        var server = new ServerProcess($"--test-ports {lo}-{hi} --owamp-listen 127.0.0.1:{port}");
        using var p = Start($"owping -c 1000 -i 0.01f -L 0.3 127.0.0.1:{port}");
        var stderr = p.StandardError.ReadToEndAsync();
        Thread.Sleep(2500);
        server.Dispose(); // SIGKILL: the control connection ends without Stop-Sessions
        Assert.True(p.WaitForExit(15_000), "owping did not end when the server went away");
        Assert.Equal(5, p.ExitCode);
        Assert.Contains("control connection lost during the measurement", await stderr);
    }

    [Fact]
    public void TheWellKnownOwampTestPortCanBeRequested()
    {
        // UDP 861 may be taken by another test run on this host: then the server answers with another port.
        var j = Json(Binary.Run($"owping -t -c 5 -i 0.005f -L 0.5 --receiver-port 861 --json {Target(4)}"));
        var send = j.GetProperty("send");
        AssertComplete(send, 5);
        int port = IPEndPoint.Parse(send.GetProperty("to").GetString()!).Port;
        Assert.True(port == 861 || (port >= _low && port <= _high), $"port {port}");
    }

    [Fact]
    public async Task BadTestPacketsAreDroppedAndCountedNotRecorded()
    {
        // Junk at every port of the server's test-port range while owping sends 150 packets: none of it
        // may become a record (the fetched session has exactly our 150), and the server counts what it dropped.
        using var stop = new CancellationTokenSource();
        var junk = Task.Run(() =>
        {
            using var udp = new UdpClient(AddressFamily.InterNetwork);
            var runt = new byte[5];
            var zeroEstimate = new byte[14]; // sequence 0, timestamp 0, Error Estimate 0: corrupt (RFC 4656 §4.1.2)
            while (!stop.IsCancellationRequested)
            {
                for (int port = _low; port <= _high; port++)
                {
                    udp.Send(runt, new IPEndPoint(IPAddress.Loopback, port));
                    udp.Send(zeroEstimate, new IPEndPoint(IPAddress.Loopback, port));
                }
                Thread.Sleep(5);
            }
        });
        var r = Binary.Run($"owping -t -c 150 -i 0.01f -L 0.5 --json {Target(4)}");
        stop.Cancel();
        await junk;
        AssertComplete(Json(r).GetProperty("send"), 150);
        Assert.True(_server.WaitForLog(l => l.Contains("owamp sessions=") && l.Contains("received=150") && l.Contains("dropped=") && !l.Contains("dropped=0"),
            TimeSpan.FromSeconds(5)), _server.LogText);
    }

    [Fact]
    public async Task TsharkDecodesOurUnauthenticatedOwampTestPacketsWithoutMalformed()
    {
        Assert.True(File.Exists("/usr/bin/tshark"), "tshark is missing: 'make test' installs it");
        var pcap = _dir.File("owamp.pcapng");
        var capture = Process.Start(new ProcessStartInfo("tshark", $"-i lo -f \"udp portrange {_low}-{_high}\" -w {pcap} -a duration:30")
        { RedirectStandardError = true, UseShellExecute = false })!;
        var started = new TaskCompletionSource();
        capture.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("Capturing on") == true) started.TrySetResult(); };
        capture.BeginErrorReadLine();
        Assert.Same(started.Task, await Task.WhenAny(started.Task, Task.Delay(20_000)));
        Thread.Sleep(500);
        var j = Json(Binary.Run($"owping -c 10 -i 0.005 -L 0.5 -s 20 --json {Target(4)}"));
        Thread.Sleep(1000);
        Binary.Signal(capture, Binary.SIGINT);
        Assert.True(capture.WaitForExit(10_000));

        int toPort = IPEndPoint.Parse(j.GetProperty("send").GetProperty("to").GetString()!).Port;
        int fromPort = IPEndPoint.Parse(j.GetProperty("receive").GetProperty("from").GetString()!).Port;
        string Tshark(string args)
        {
            var t = Binary.RunFile("tshark", args, 60_000);
            Assert.True(t.ExitCode == 0, $"tshark {args}: {t.Stderr}");
            return t.Stdout;
        }
        var decode = $"-r {pcap} -d udp.port=={toPort},owamp.test -d udp.port=={fromPort},owamp.test";
        var packets = Tshark($"{decode} -Y owamp.test -T fields -e frame.len").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(20, packets.Length); // 10 each way, 14 + 20 octets of OWAMP-Test each
        Assert.Equal("", Tshark($"{decode} -Y \"_ws.malformed\""));
    }
}
