using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// The published server stays up and keeps serving whatever its peers do: clients killed in the
/// middle of a flood, many clients at once in every mode, a descriptor limit of an init system.
/// Alone after the parallel classes: resident memory and wake-ups are measured here, and the floods
/// would take the CPUs from the others (a parallel run once saw VmRSS grow 4.5 MB under load).
/// </summary>
[Collection(Collections.Alone)]
public sealed class AlwaysOnTests : IDisposable
{
    readonly TempDir _dir = new();
    readonly string _keys;

    public AlwaysOnTests() => _keys = Binary.WriteKeyFile(_dir.Path, "alice", "correct horse battery staple");

    public void Dispose() => _dir.Dispose();

    static JsonElement Json(Binary.Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    string Auth(string mode) => mode == "unauth" ? "" : $"-u alice -k {_keys}";

    [Fact]
    public void ClientsKilledMidFloodNeverTakeTheServerDown()
    {
        var (lo, hi) = Binary.PortRange();
        using var server = new ServerProcess($"--keyfile {_keys} --test-ports {lo}-{hi}");
        for (int i = 0; i < 12; i++)
        {
            var mode = i % 2 == 0 ? "auth" : "enc";
            var psi = new ProcessStartInfo(Binary.Path, $"ping -c 1000000 -i 0.0001 -L 1 -m {mode} {Auth(mode)} {server.Endpoint}")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var client = Process.Start(psi)!;
            Thread.Sleep(250 + i * 37 % 300);
            client.Kill(); // SIGKILL: the control connection drops while test packets are in flight
            client.WaitForExit();
            Assert.False(server.Process.HasExited, $"server died after client {i}:\n{server.LogText}");
        }
        Thread.Sleep(500);
        foreach (var mode in new[] { "unauth", "auth", "enc", "mixed" })
        {
            var j = Json(Binary.Run($"ping -c 20 -i 0.005 -L 1 -m {mode} {Auth(mode)} --json {server.Endpoint}"));
            Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        }
        Assert.DoesNotContain("internal error", server.LogText);
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public async Task ManyClientsAtOnceInEveryModeAreAllServed()
    {
        var (lo, hi) = Binary.PortRange();
        using var server = new ServerProcess($"--keyfile {_keys} --test-ports {lo}-{hi}");
        var modes = new[] { "unauth", "auth", "enc", "mixed" };
        var runs = Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            Binary.Run($"ping -c 200 -i 0.002 -L 1 -m {modes[i % 4]} {Auth(modes[i % 4])} --json {server.Endpoint}"))).ToArray();
        foreach (var r in await Task.WhenAll(runs))
        {
            var j = Json(r);
            Assert.Equal(200, j.GetProperty("packets_received").GetInt32());
        }
        Assert.False(server.Process.HasExited);
    }

    [Fact]
    public void DescriptorLimitOfAnInitSystemSizesTheLimits()
    {
        var (lo, hi) = Binary.PortRange();
        using var server = new ServerProcess($"--test-ports {lo}-{hi}", prefix: "prlimit --nofile=1024:1024 --");
        Assert.True(server.WaitForLog(l => l.Contains("open-files limit 1024: max-connections 106, max-sessions 854"), TimeSpan.FromSeconds(2)), server.LogText);
    }

    [Fact]
    public void OutOfDescriptorsTheAcceptLoopBacksOffMakesRoomAndRecovers()
    {
        var (lo, hi) = Binary.PortRange();
        var config = Path.Combine(_dir.Path, "fd.conf");
        // Deliberately more connections than descriptors: accept() itself runs out.
        File.WriteAllText(config, "max-connections 400\nmax-connections-per-prefix 400\n");
        using var server = new ServerProcess($"-c {config} --test-ports {lo}-{hi}", prefix: "prlimit --nofile=100:100 --");
        var control = new IPEndPoint(IPAddress.Loopback, server.ControlPort);
        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < 200; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Connect(control);
                idle.Add(s);
            }
            Thread.Sleep(1500);
            var j = Json(Binary.Run($"ping -c 20 -i 0.01 -L 1 --json {server.Endpoint}"));
            Assert.Equal(20, j.GetProperty("packets_received").GetInt32());
        }
        finally
        {
            foreach (var s in idle) s.Dispose();
        }
        Assert.False(server.Process.HasExited, server.LogText);
        var acceptLines = server.Log.Where(l => l.Contains("accept on")).ToList();
        Assert.Contains(acceptLines, l => l.Contains("out of descriptors"));
        Assert.True(acceptLines.Count <= 4, $"{acceptLines.Count} accept log lines:\n{string.Join("\n", acceptLines)}");
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public void SessionChurnDoesNotRaiseTheResidentMemory()
    {
        var (lo, hi) = Binary.PortRange();
        using var server = new ServerProcess($"--test-ports {lo}-{hi}");
        long Rss() => long.Parse(File.ReadAllLines($"/proc/{server.Process.Id}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', '\t').Last(x => x.Length > 0 && char.IsDigit(x[0])));
        void Churn(int sessions) => Parallel.For(0, sessions, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            _ => Assert.Equal(0, Binary.Run($"ping -c 5 -i 0.001 -L 0.1 {server.Endpoint}").ExitCode));
        // Warm-up with the same churn: threads, buffers, code pages and the GC's own tables reach their
        // working set; what must not happen is growth with every further session.
        Churn(160);
        Thread.Sleep(6000);
        long baseline = Rss();
        Churn(160);
        Thread.Sleep(6000); // the collection after the last connection closed (at most one per 5 s)
        long after = Rss();
        Assert.True(after - baseline < 4 * 1024, $"VmRSS {baseline} kB -> {after} kB after 160 sessions");
    }

    [Fact]
    public void AnIdleServerIsWokenOnlyAFewTimesASecond()
    {
        var (lo, hi) = Binary.PortRange();
        using var server = new ServerProcess($"--test-ports {lo}-{hi}");
        // One measurement first, so that the thread pool, timers and sockets have all been used.
        Assert.Equal(0, Binary.Run($"ping -c 20 -i 0.005 -L 0.2 {server.Endpoint}").ExitCode);
        Thread.Sleep(3000);
        long Switches() => Directory.GetDirectories($"/proc/{server.Process.Id}/task").Sum(t =>
        {
            try
            {
                return File.ReadAllLines(Path.Combine(t, "status")).Where(l => l.Contains("voluntary_ctxt_switches"))
                    .Sum(l => long.Parse(l.Split(':')[1].Trim()));
            }
            catch (IOException) { return 0L; } // a thread that just ended
        });
        long before = Switches();
        Thread.Sleep(5000);
        double perSecond = (Switches() - before) / 5.0;
        // The reflector's 1 s epoll timeout and the 5 s clock-state refresh: ~2/s. Spinning thread-pool
        // workers or a timer without LEDs to drive would be hundreds.
        Assert.True(perSecond < 10, $"{perSecond:0.0} wake-ups per second while idle");
    }
}
