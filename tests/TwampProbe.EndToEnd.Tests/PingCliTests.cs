using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>ping's command line as an operator meets it: -S, lost servers, signals, local mistakes, twping flags, help.</summary>
public sealed partial class PingCliTests : IDisposable
{
    readonly TempDir _dir = new();
    readonly ServerProcess _server;
    readonly string _keys;

    public PingCliTests()
    {
        _keys = Binary.WriteKeyFile(_dir.Path, "alice", "secret");
        var (lo, hi) = Binary.PortRange();
        _server = new ServerProcess($"--keyfile {_keys} --test-ports {lo}-{hi} -v");
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    /// <summary>A stripped .NET resource string, e.g. net_io_readfailure or UnauthorizedAccess_IODenied_Path.</summary>
    [GeneratedRegex(@"\b[A-Za-z]+(_[A-Za-z0-9]+)+\b")]
    private static partial Regex ResourceKey();

    static void NoResourceKey(string text) => Assert.False(ResourceKey().IsMatch(text), $"raw resource key in: {text}");

    static Process Start(string args)
    {
        var psi = new ProcessStartInfo(Binary.Path, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        return Process.Start(psi)!;
    }

    static Binary.Result Finish(Process p, int timeoutMs = 30_000)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs)) { p.Kill(); throw new TimeoutException("ping did not finish"); }
        p.WaitForExit();
        return new Binary.Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    // 1. -S

    [Fact]
    public void SourceAddressAlsoBindsTheControlConnection()
    {
        // Without the bind the control connection leaves from 127.0.0.1 while the Sender Address is
        // 127.0.0.2: the server declines the third party (Accept=1).
        var r = Binary.Run($"ping -c 3 -i 0.01 -L 0.5 -S 127.0.0.2 --json {_server.Endpoint}");
        Assert.True(r.ExitCode == 0, $"{r.Stdout}\n{r.Stderr}");
        Assert.StartsWith("127.0.0.2:", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("sender").GetString());
        Assert.True(_server.WaitForLog(l => l.Contains("control 127.0.0.2:"), TimeSpan.FromSeconds(3)), _server.LogText);
    }

    [Theory]
    [InlineData("-S 1.2.3", "'1.2.3' is not an IPv4 address")]
    [InlineData("-S ::1", "-S ::1 is IPv6, but 127.0.0.1:")]
    [InlineData("-S 192.0.2.123", "not an address of this host")]
    public void UnusableSourceAddressIsAUsageError(string flag, string message)
    {
        var r = Binary.Run($"ping -c 1 {flag} 127.0.0.1:{_server.ControlPort}");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    // 2. lost control connection

    [Fact]
    public void ServerKilledMidTestIsALostConnectionWithExitCode5AndTheStatisticsSoFar()
    {
        var (lo, hi) = Binary.PortRange(10);
        using var victim = new ServerProcess($"--test-ports {lo}-{hi}");
        using var ping = Start($"ping -c 500 -i 0.01 -L 0.5 {victim.Endpoint}");
        Thread.Sleep(1000);
        victim.Process.Kill(); // SIGKILL: the kernel closes the control connection
        var r = Finish(ping);
        Assert.True(r.ExitCode == 5, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("control connection lost: the server closed the connection", r.Stderr);
        Assert.Contains("statistics", r.Stdout);
        var sent = int.Parse(Regex.Match(r.Stdout, @"(\d+) sent").Groups[1].Value);
        Assert.InRange(sent, 1, 499); // it stopped sending once the server was gone
        NoResourceKey(r.Stderr);
    }

    [Fact]
    public async Task ServerThatResetsMidSetupIsANetworkErrorInPlainWords()
    {
        // Accepts, sends half a Server-Greeting, then resets (SO_LINGER 0).
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var serve = Task.Run(() =>
        {
            using var c = listener.Accept();
            c.Send(new byte[32]);
            Thread.Sleep(200);
            c.LingerState = new LingerOption(true, 0);
            c.Close();
        });
        var r = Binary.Run($"ping -c 1 127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}", timeoutMs: 20_000);
        await serve;
        Assert.Equal(5, r.ExitCode);
        Assert.Contains("connection reset by the server", r.Stderr);
        NoResourceKey(r.Stderr);
    }

    // 3. SIGTERM, one packet

    [Fact]
    public void SigtermEndsPingWithTheSummaryLikeSigint()
    {
        using var ping = Start($"ping -c 1000 -i 0.01 -L 0.2 {_server.Endpoint}");
        Thread.Sleep(1000);
        Binary.Signal(ping, Binary.SIGTERM);
        var r = Finish(ping);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("--- twampprobe statistics", r.Stdout);
        var sent = int.Parse(Regex.Match(r.Stdout, @"(\d+) sent").Groups[1].Value);
        Assert.InRange(sent, 1, 999);
    }

    [Fact]
    public void OnePacketRunPrintsNoNan()
    {
        var text = Binary.Run($"ping -c 1 -L 0.5 {_server.Endpoint}");
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.DoesNotContain("nan", text.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("jitter (IPDV, mean |Δ|) round-trip/forward/backward = -/-/- ms", text.Stdout);
        var json = Binary.Run($"ping -c 1 -L 0.5 --json {_server.Endpoint}");
        Assert.DoesNotContain("nan", json.Stdout, StringComparison.OrdinalIgnoreCase);
        var ipdv = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("ipdv_us");
        Assert.Equal(JsonValueKind.Null, ipdv.GetProperty("rtt_mean").ValueKind);
    }

    // 4. local mistakes

    [Fact]
    public void SecureModeWithoutIdentityIsAUsageError()
    {
        var r = Binary.Run($"ping -c 1 -m auth {_server.Endpoint}");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("-u IDENTITY -k KEYFILE", r.Stderr);
    }

    [Fact]
    public void IdentityMissingFromTheOwnKeyFileIsAConfigErrorNamingTheFile()
    {
        var r = Binary.Run($"ping -c 1 -m auth -u bob -k {_keys} {_server.Endpoint}");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains(_keys, r.Stderr);
        Assert.Contains("'bob'", r.Stderr);
    }

    // 5. no resource keys

    [Fact]
    public void DirectoryAsKeyFileIsAConfigErrorInPlainWords()
    {
        var r = Binary.Run($"ping -c 1 -u alice -k {_dir.Path} {_server.Endpoint}");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains($"{_dir.Path}: is a directory", r.Stderr);
        NoResourceKey(r.Stderr);
    }

    // 6. twping habits

    [Fact]
    public void ExponentialIntervalMeasures()
    {
        var j = JsonDocument.Parse(Ok($"ping -c 40 -i 0.005e -L 0.5 --json {_server.Endpoint}").Stdout).RootElement;
        Assert.Equal(40, j.GetProperty("packets_received").GetInt32());
    }

    [Theory]
    [InlineData("EF", 46)]
    [InlineData("AF41", 34)]
    [InlineData("CS5", 40)]
    [InlineData("VA", 44)]
    [InlineData("LE", 1)]
    public void SymbolicDscpComesBackOnTheReplies(string name, int value)
    {
        var j = JsonDocument.Parse(Ok($"ping -c 5 -i 0.01 -L 0.5 -D {name} --json {_server.Endpoint}").Stdout).RootElement;
        Assert.Equal(value, j.GetProperty("requested_dscp").GetInt32());
        Assert.Equal(value, j.GetProperty("reflected_dscp").GetInt32());
    }

    [Fact]
    public void ZeroAddressesAreAccepted()
    {
        Ok($"ping -c 5 -i 0.01 -L 0.5 -Z {_server.Endpoint}");
        Assert.True(_server.WaitForLog(l => l.Contains("sender 0.0.0.0") || l.Contains("sessions=1"), TimeSpan.FromSeconds(3)), _server.LogText);
    }

    [Fact]
    public void LocalPortRangeBindsTheTestSocket()
    {
        var (lo, hi) = Binary.PortRange(3);
        var j = JsonDocument.Parse(Ok($"ping -c 3 -i 0.01 -L 0.5 -P {lo}-{hi} --json {_server.Endpoint}").Stdout).RootElement;
        int port = int.Parse(j.GetProperty("sender").GetString()!.Split(':')[^1]);
        Assert.InRange(port, lo, hi);
    }

    [Fact]
    public void BusyLocalPortRangeIsANetworkError()
    {
        using var busy = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        int port = ((IPEndPoint)busy.Client.LocalEndPoint!).Port;
        var r = Binary.Run($"ping -c 1 -P {port}-{port} {_server.Endpoint}");
        Assert.Equal(5, r.ExitCode);
        Assert.Contains($"no free local UDP port in -P {port}-{port}", r.Stderr);
        NoResourceKey(r.Stderr);
    }

    [Fact]
    public void AddressFamilyFlagsSteerHostNameResolution()
    {
        var j = JsonDocument.Parse(Ok($"ping -4 -c 2 -i 0.01 -L 0.5 --json localhost:{_server.ControlPort}").Stdout).RootElement;
        Assert.StartsWith("127.0.0.1:", j.GetProperty("reflector").GetString());
        var r = Binary.Run($"ping -6 -c 1 127.0.0.1:{_server.ControlPort}");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("-6 asks for IPv6", r.Stderr);
    }

    // 7. help, -R with --json, no replies

    [Theory]
    [InlineData("ping -h")]
    [InlineData("ping --help")]
    public void PingHelpListsEveryPingFlagAndExits0(string args)
    {
        var r = Binary.Run(args);
        Assert.Equal(0, r.ExitCode);
        foreach (var flag in PingFlags) Assert.Contains(flag, r.Stdout);
        Assert.DoesNotContain("--light-listen", r.Stdout);
    }

    [Fact]
    public void MainHelpListsEveryPingAndServeFlag()
    {
        var r = Binary.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var flag in PingFlags.Concat(ServeFlags)) Assert.Contains(flag, r.Stdout);
        var serve = Binary.Run("serve --help");
        Assert.Equal(0, serve.ExitCode);
        foreach (var flag in ServeFlags) Assert.Contains(flag, serve.Stdout);
    }

    static readonly string[] PingFlags =
        ["-c ", "-i ", "-s ", "-D ", "-m ", "-u ", "-k ", "-P ", "--receiver-port", "-L ", "-S ", "-4", "-6", "-Z ", "--ttl", "--ecn",
         "--no-dscp-ecn", "--light", "--zero-padding", "--json", "-R ", "--max-count", "--cpu", "--help"];
    static readonly string[] ServeFlags =
        ["--config", "--listen", "--keyfile", "--modes", "--test-ports", "--light-listen", "--light-allow", "--servwait", "--refwait",
         "--max-sessions", "--reflector-cpu", "--user", "--debug", "--quiet"];

    [Fact]
    public void PerPacketRecordsAreInTheJson()
    {
        var j = JsonDocument.Parse(Ok($"ping -c 5 -i 0.01 -L 0.5 -R --json {_server.Endpoint}").Stdout).RootElement;
        var replies = j.GetProperty("replies");
        Assert.Equal(5, replies.GetArrayLength());
        Assert.Equal(Enumerable.Range(0, 5), replies.EnumerateArray().Select(x => x.GetProperty("seq").GetInt32()).Order());
        Assert.True(replies[0].GetProperty("rtt_us").GetDouble() > 0);
    }

    [Fact]
    public void WithoutRepliesTheJsonTimestampSourceIsNullLikeTheText()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)silent.Client.LocalEndPoint!).Port;
        var json = Binary.Run($"ping --light -c 2 -i 0.01 -L 0.2 --json 127.0.0.1:{port}");
        Assert.Equal(1, json.ExitCode);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(json.Stdout).RootElement.GetProperty("timestamp_source").ValueKind);
        var text = Binary.Run($"ping --light -c 2 -i 0.01 -L 0.2 127.0.0.1:{port}");
        Assert.Contains("timestamps: -", text.Stdout);
    }

    [Fact]
    public void FullTwampJsonSplitsLossByDirectionAndHasEveryDelayStatistic()
    {
        var j = JsonDocument.Parse(Ok($"ping -c 20 -i 0.005 -L 1 --json {_server.Endpoint}").Stdout).RootElement;
        // Our reflector numbers its replies (RFC 5357 §4.2.1), so the directions can be told apart.
        Assert.True(j.GetProperty("directional_loss_known").GetBoolean());
        Assert.Equal((0, 0, 0), (j.GetProperty("forward_lost").GetInt32(), j.GetProperty("backward_lost").GetInt32(), j.GetProperty("late").GetInt32()));
        Assert.Equal(1.0, j.GetProperty("loss_threshold_s").GetDouble());
        foreach (var name in new[] { "rtt_us", "turnaround_us", "forward_delay_us", "backward_delay_us" })
            foreach (var key in new[] { "min", "p50", "p90", "p99", "max", "mean", "median", "p95" })
                Assert.Equal(JsonValueKind.Number, j.GetProperty(name).GetProperty(key).ValueKind);
        Assert.Equal(0.0, j.GetProperty("pdv_us").GetProperty("rtt").GetProperty("min").GetDouble());
        Assert.Equal(JsonValueKind.Number, j.GetProperty("ipdv_us").GetProperty("rtt").GetProperty("p99").ValueKind);
        Assert.Equal(JsonValueKind.Number, j.GetProperty("twping_jitter_us").GetProperty("rtt").ValueKind);
    }

    [Fact]
    public void LightReflectorCopyingTheSequenceNumberGivesDirectionalLossUnknown()
    {
        // TwampProbe's own Light reflector keeps no session state and copies the sender's number (RFC 5357 Appendix I).
        var (lo, hi) = Binary.PortRange();
        using var light = new ServerProcess($"--test-ports {lo}-{hi - 1} --light-listen 127.0.0.1:{hi}");
        var j = JsonDocument.Parse(Ok($"ping --light -c 10 -i 0.005 -L 0.5 --json 127.0.0.1:{hi}").Stdout).RootElement;
        Assert.False(j.GetProperty("directional_loss_known").GetBoolean());
        Assert.Equal(JsonValueKind.Null, j.GetProperty("forward_lost").ValueKind);
        var text = Ok($"ping --light -c 10 -i 0.005 -L 0.5 127.0.0.1:{hi}").Stdout;
        Assert.Contains("directional loss unknown: every reply's Sequence Number equals the sender's", text);
    }

    static Binary.Result Ok(string args)
    {
        var r = Binary.Run(args);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        return r;
    }
}
