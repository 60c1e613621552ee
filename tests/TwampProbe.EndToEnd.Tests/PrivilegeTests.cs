using System.Net;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// What `user NAME` keeps after the drop from root: Linux credentials are per thread, so the
/// capabilities must still be usable for sessions opened later on control-connection threads,
/// and for the reflector thread's SCHED_FIFO. Also the descriptor limit raised at start-up.
/// </summary>
public sealed partial class PrivilegeTests
{
    const ulong KeptCapabilities = (1UL << 10) | (1UL << 12) | (1UL << 23); // NET_BIND_SERVICE, NET_ADMIN, SYS_NICE

    [Fact]
    public async Task SessionsOpenedAfterDroppingToNobodyGetForcedBuffersAndPrivilegedPorts()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root)");
        // Larger than net.core.rmem_max: only SO_RCVBUFFORCE with CAP_NET_ADMIN gets it.
        long rmemMax = long.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim());
        int buffer = (int)Math.Min(64L << 20, Math.Max(1L << 20, rmemMax * 2));
        Assert.True(buffer > rmemMax, $"net.core.rmem_max {rmemMax} is at the socket-buffer maximum: cannot tell forced buffers apart");
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        // A privileged test-port range: every session socket is a new bind below 1024 after the drop.
        const int Low = 760, High = 779;
        File.WriteAllText(conf, $"test-ports {Low}-{High}\nsocket-buffer {buffer}\nsched-fifo 10\nuser nobody\n");
        using var server = new ServerProcess($"-c {conf} -v");
        Assert.True(server.WaitForLog(l => l.Contains("running as nobody"), TimeSpan.FromSeconds(3)), server.LogText);
        int pid = server.Process.Id;
        Assert.Equal("65534", File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);

        // A session long enough to look at its socket while it runs, asking for port 765.
        var run = Task.Run(() => Binary.Run($"ping -c 200 -i 0.01 -L 0.5 --json -P 765 {server.Endpoint}"));
        long? rb = null;
        var sw = Stopwatch.StartNew();
        while (rb is null && sw.Elapsed < TimeSpan.FromSeconds(3) && !run.IsCompleted)
        {
            rb = ReceiveBuffer(765);
            if (rb is null) await Task.Delay(50);
        }
        var r = await run;
        Assert.True(r.ExitCode == 0, $"ping exited {r.ExitCode}: {r.Stderr}\n{server.LogText}");
        Assert.EndsWith(":765", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("reflector").GetString());
        Assert.Equal(200, JsonDocument.Parse(r.Stdout).RootElement.GetProperty("packets_received").GetInt32());
        // The kernel doubles the value it is given (socket(7)); without the force it is capped at rmem_max.
        Assert.True(rb is not null, "session socket on UDP 765 not seen by ss");
        Assert.Equal(2L * buffer, rb);

        // One thread (the privileged one) holds the three capabilities; every other thread has none.
        var tasks = Tasks(pid);
        var holders = tasks.Where(t => t.Effective != 0 || t.Permitted != 0).ToList();
        Assert.True(holders.Count == 1, "threads with capabilities: " + string.Join(", ", holders.Select(t => $"{t.Tid} {t.Name} eff {t.Effective:x} prm {t.Permitted:x}")));
        Assert.Equal("privileged", holders[0].Name);
        Assert.Equal(KeptCapabilities, holders[0].Effective);
        Assert.Equal(KeptCapabilities, holders[0].Permitted);

        // The reflector thread runs SCHED_FIFO 10, set for it by the privileged thread.
        var reflector = tasks.Single(t => t.Name == "reflector");
        Assert.Equal(1, reflector.Policy); // SCHED_FIFO
        Assert.Equal(10, reflector.RtPriority);
        Assert.DoesNotContain(server.Log, l => l.Contains("SCHED_FIFO") && l.Contains("cannot"));
    }

    [Fact]
    public async Task ConcurrentSessionsAfterTheDropAllGetPrivilegedPorts()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root)");
        const int Low = 780, High = 799;
        using var server = new ServerProcess($"--test-ports {Low}-{High} --user nobody");
        Assert.True(server.WaitForLog(l => l.Contains("running as nobody"), TimeSpan.FromSeconds(3)), server.LogText);
        // Several control connections open sockets through the privileged thread at once, round after round.
        for (int round = 0; round < 3; round++)
        {
            var pings = Enumerable.Range(0, 6).Select(_ => Task.Run(() => Binary.Run($"ping -c 20 -i 0.005 -L 0.5 --json {server.Endpoint}"))).ToList();
            foreach (var r in await Task.WhenAll(pings))
            {
                Assert.True(r.ExitCode == 0, $"round {round}: ping exited {r.ExitCode}: {r.Stderr}\n{server.LogText}");
                int port = int.Parse(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("reflector").GetString()!.Split(':')[^1]);
                Assert.InRange(port, Low, High);
            }
        }
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public void OwampTestPortsBelow1024AfterTheDropAreOpenedByThePrivilegedThread()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root)");
        const int Low = 780, High = 799;
        // On 127.0.0.5, an address of its own: OwpingTests asks for UDP 861 on 127.0.0.1 at the same time.
        using var server = new ServerProcess($"--test-ports {Low}-{High} --user nobody", address: "127.0.0.5");
        Assert.True(server.WaitForLog(l => l.Contains("running as nobody"), TimeSpan.FromSeconds(3)), server.LogText);
        string target = $"127.0.0.5:{server.OwampPort}";
        // Client -> server: the server receives on UDP 861 as asked (RFC 8545), bound after the drop.
        var send = Binary.Run($"owping -t -c 5 -i 0.005f -L 0.5 --receiver-port 861 --json {target}");
        Assert.True(send.ExitCode == 0, $"owping -t exited {send.ExitCode}: {send.Stderr}\n{server.LogText}");
        var to = IPEndPoint.Parse(JsonDocument.Parse(send.Stdout).RootElement.GetProperty("send").GetProperty("to").GetString()!);
        Assert.Equal(861, to.Port);
        // Server -> client: its sender's socket comes from the (privileged) test-port range.
        var receive = Binary.Run($"owping -f -c 5 -i 0.005f -L 0.5 --json {target}");
        Assert.True(receive.ExitCode == 0, $"owping -f exited {receive.ExitCode}: {receive.Stderr}\n{server.LogText}");
        var r = JsonDocument.Parse(receive.Stdout).RootElement.GetProperty("receive");
        Assert.Equal(5, r.GetProperty("packets_received").GetInt32());
        Assert.InRange(IPEndPoint.Parse(r.GetProperty("from").GetString()!).Port, Low, High);
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public void SoftDescriptorLimitIsRaisedToTheHardLimitAtStartUp()
    {
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--test-ports {lo}-{hi}", prefix: "prlimit --nofile=1024:4096 --");
        var limits = File.ReadAllLines($"/proc/{server.Process.Id}/limits").First(l => l.StartsWith("Max open files"));
        var fields = limits["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("4096", fields[0]);
        Assert.Equal("4096", fields[1]);
        Assert.Contains(server.Log, l => l.Contains("descriptors: limit 4096") && l.Contains("1024"));
    }

    /// <summary>The receive buffer (skmem rb) of the UDP socket bound to this local port, from ss.</summary>
    static long? ReceiveBuffer(int port)
    {
        var r = Binary.RunFile("ss", $"-u -a -m -n sport = :{port}", 5000);
        var m = RbPattern().Match(r.Stdout);
        return m.Success ? long.Parse(m.Groups[1].Value) : null;
    }

    [GeneratedRegex(@"skmem:\(r\d+,rb(\d+),")]
    private static partial Regex RbPattern();

    sealed record TaskInfo(int Tid, string Name, ulong Effective, ulong Permitted, int Policy, int RtPriority);

    static List<TaskInfo> Tasks(int pid)
    {
        var list = new List<TaskInfo>();
        foreach (var d in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var status = File.ReadAllLines(Path.Combine(d, "status"));
                ulong Cap(string key) => Convert.ToUInt64(status.First(l => l.StartsWith(key))[key.Length..].Trim(), 16);
                // stat: "tid (comm) state ..." — rt_priority and policy are fields 40 and 41.
                var stat = File.ReadAllText(Path.Combine(d, "stat"));
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                list.Add(new TaskInfo(int.Parse(Path.GetFileName(d)), File.ReadAllText(Path.Combine(d, "comm")).Trim(),
                    Cap("CapEff:"), Cap("CapPrm:"), int.Parse(rest[41 - 3]), int.Parse(rest[40 - 3])));
            }
            catch (IOException) { } // the thread ended meanwhile
        }
        return list;
    }
}
