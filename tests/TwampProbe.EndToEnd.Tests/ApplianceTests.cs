using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>Firmware behaviour of `serve`: reload, LEDs, privileges, refusal counting.</summary>
public sealed class ApplianceTests
{
    static Binary.Result Ping(ServerProcess s, string extra = "") => Binary.Run($"ping -c 5 -i 0.01 -L 0.5 --json {extra} {s.Endpoint}");

    [Fact]
    public async Task SighupAppliesNewLimitsWithoutDroppingRunningSessions()
    {
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        var (lo, hi) = Binary.PortRange(20);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nmax-sessions 10\n");
        using var server = new ServerProcess($"-c {conf} -v");
        // A long session runs across the reload: accepted (its Accept-Session logged) before the reload,
        // rather than after a fixed delay that a loaded machine may not keep.
        var longRun = Task.Run(() => Binary.Run($"ping -c 300 -i 0.01 -L 0.5 --json {server.Endpoint}"));
        Assert.True(server.WaitForLog(l => l.Contains(" -> port "), TimeSpan.FromSeconds(10)), server.LogText);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nmax-sessions 1\n");
        Binary.Signal(server.Process, Binary.SIGHUP);
        Assert.True(server.WaitForLog(l => l.Contains("reloaded configuration"), TimeSpan.FromSeconds(3)), server.LogText);
        // With the running session holding the only slot, a second one is refused: Accept=5.
        var refused = Ping(server);
        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("Accept=5", refused.Stderr);
        var first = await longRun;
        Assert.Equal(300, JsonDocument.Parse(first.Stdout).RootElement.GetProperty("packets_received").GetInt32());
    }

    [Fact]
    public void ReloadWorksEvenWhenStartedWithSighupIgnored()
    {
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        var (lo, hi) = Binary.PortRange(10);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\n");
        // nohup hands the daemon SIGHUP as ignored, as some supervisors do.
        using var server = new ServerProcess($"-c {conf}", prefix: "nohup");
        Binary.Signal(server.Process, Binary.SIGHUP);
        Assert.True(server.WaitForLog(l => l.Contains("reloaded configuration"), TimeSpan.FromSeconds(3)), server.LogText);
        Assert.False(server.Process.HasExited);
    }

    [Fact]
    public void BadFileOnReloadKeepsTheRunningConfiguration()
    {
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        var (lo, hi) = Binary.PortRange(10);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\n");
        using var server = new ServerProcess($"-c {conf}");
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nmax-sesions 3\n");
        Binary.Signal(server.Process, Binary.SIGHUP);
        Assert.True(server.WaitForLog(l => l.Contains("reload failed, keeping the running configuration") && l.Contains($"{conf}:2"), TimeSpan.FromSeconds(3)), server.LogText);
        Assert.Equal(0, Ping(server).ExitCode);
    }

    [Fact]
    public void SysfsLedsAreDrivenAndSwitchedOffAtExit()
    {
        using var dir = new TempDir();
        var leds = new Dictionary<string, string>();
        foreach (var name in new[] { "probe:green:status", "probe:yellow:activity", "probe:red:fault" })
        {
            var d = Directory.CreateDirectory(Path.Combine(dir.Path, "class", "leds", name)).FullName;
            File.WriteAllText(Path.Combine(d, "brightness"), "0");
            File.WriteAllText(Path.Combine(d, "max_brightness"), "255");
            File.WriteAllText(Path.Combine(d, "trigger"), "[none] heartbeat");
            leds[name] = d;
        }
        var conf = dir.File("twampprobe.conf");
        var (lo, hi) = Binary.PortRange(10);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nled status sysfs probe:green:status\nled activity sysfs probe:yellow:activity\nled fault sysfs probe:red:fault\n");
        using var server = new ServerProcess($"-c {conf}", environment: new Dictionary<string, string> { ["TWAMPPROBE_SYSFS_ROOT"] = dir.Path });
        Assert.Equal(0, Ping(server).ExitCode);
        Thread.Sleep(400);
        // The LEDs were taken over from their kernel trigger and driven.
        Assert.All(leds.Values, d => Assert.Equal("none", File.ReadAllText(Path.Combine(d, "trigger")).Trim()));
        bool statusOrFaultLit = File.ReadAllText(Path.Combine(leds["probe:green:status"], "brightness")).Trim() == "255"
                             || File.ReadAllText(Path.Combine(leds["probe:red:fault"], "brightness")).Trim() == "255";
        Assert.True(statusOrFaultLit, "neither the status nor the fault LED is lit while serving");
        Assert.Equal(0, server.Stop());
        Assert.All(leds.Values, d => Assert.Equal("0", File.ReadAllText(Path.Combine(d, "brightness")).Trim()));
    }

    /// <summary>
    /// With <c>user NAME</c> the LEDs (opened as root before the drop; a sysfs brightness is root's,
    /// mode 644) are still driven after it and after a SIGHUP that does not change them, and switched
    /// off at exit. They used to be disabled right after the drop ("permission denied").
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void SysfsLedsAreStillDrivenAfterTheDropToUserAndAReload()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root)");
        using var dir = new TempDir();
        var leds = new Dictionary<string, string>();
        foreach (var name in new[] { "probe:green:status", "probe:red:fault" })
        {
            var d = Directory.CreateDirectory(Path.Combine(dir.Path, "class", "leds", name)).FullName;
            File.WriteAllText(Path.Combine(d, "brightness"), "0");
            File.WriteAllText(Path.Combine(d, "max_brightness"), "255");
            File.SetUnixFileMode(Path.Combine(d, "brightness"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            leds[name] = d;
        }
        var conf = dir.File("twampprobe.conf");
        var (lo, hi) = Binary.PortRange(10);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nuser nobody\nled status sysfs probe:green:status\nled fault sysfs probe:red:fault\n");
        // As /etc/twampprobe: the configuration is readable by nobody (the reload reads it as nobody); the LEDs are root's.
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(conf, (UnixFileMode)0b110_100_100);
        // On 127.0.0.8, an address of its own (the UDP 862 it binds at start-up).
        using var server = new ServerProcess($"-c {conf}", address: "127.0.0.8", environment: new Dictionary<string, string> { ["TWAMPPROBE_SYSFS_ROOT"] = dir.Path });
        Assert.True(server.WaitForLog(l => l.Contains("running as nobody"), TimeSpan.FromSeconds(3)), server.LogText);
        bool Lit() => leds.Values.Any(d => File.ReadAllText(Path.Combine(d, "brightness")).Trim() == "255");
        Assert.Equal(0, Ping(server).ExitCode);
        Thread.Sleep(400);
        Assert.True(Lit(), "neither the status nor the fault LED is lit while serving as nobody:\n" + server.LogText);
        Binary.Signal(server.Process, Binary.SIGHUP);
        Assert.True(server.WaitForLog(l => l.Contains("reloaded configuration"), TimeSpan.FromSeconds(3)), server.LogText);
        Thread.Sleep(400);
        Assert.True(Lit(), "no LED lit after the reload:\n" + server.LogText);
        Assert.DoesNotContain(server.Log, l => l.Contains("permission denied"));
        Assert.Equal(0, server.Stop());
        Assert.All(leds.Values, d => Assert.Equal("0", File.ReadAllText(Path.Combine(d, "brightness")).Trim()));
    }

    [Fact]
    public void MissingLedIsReportedAndTheProbeServesNormally()
    {
        var (lo, hi) = Binary.PortRange(10);
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nled status sysfs no-such-led\n");
        using var server = new ServerProcess($"-c {conf}", environment: new Dictionary<string, string> { ["TWAMPPROBE_SYSFS_ROOT"] = dir.Path });
        Assert.Contains(server.Log, l => l.Contains("led status") && l.Contains("no-such-led"));
        Assert.Equal(0, Ping(server).ExitCode);
    }

    [Fact]
    public void StartedAsRootItDropsToTheConfiguredUserKeepingThreeCapabilities()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root)");
        var (lo, hi) = Binary.PortRange(10);
        // On 127.0.0.4, an address of its own: the UDP 862 it binds at start-up is not one that the
        // servers of the tests running beside it (on 127.0.0.1) hold.
        using var server = new ServerProcess($"--test-ports {lo}-{hi} --user nobody", address: "127.0.0.4");
        Assert.True(server.WaitForLog(l => l.Contains("running as nobody"), TimeSpan.FromSeconds(3)), server.LogText);
        var status = File.ReadAllLines($"/proc/{server.Process.Id}/status");
        var uid = status.First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("65534", uid[1]);
        // Credentials are per thread: the union over all threads (the privileged thread holds them, see
        // PrivilegeTests) is CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_SYS_NICE (23), nothing else.
        ulong capEff = 0;
        foreach (var task in Directory.GetDirectories($"/proc/{server.Process.Id}/task"))
            capEff |= Convert.ToUInt64(File.ReadAllLines(Path.Combine(task, "status")).First(l => l.StartsWith("CapEff:"))[7..].Trim(), 16);
        Assert.Equal((1UL << 10) | (1UL << 12) | (1UL << 23), capEff);
        // Still able to bind UDP 862 for a session that asks for it, and to measure.
        var r = Ping(server, "-P 862");
        Assert.True(r.ExitCode == 0, r.Stderr + server.LogText);
        Assert.EndsWith(":862", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("reflector").GetString());
    }

    [Fact]
    public void ConnectionLimitMakesAnIdleConnectionGiveWay()
    {
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        var (lo, hi) = Binary.PortRange(10);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nmax-connections 1\n");
        using var server = new ServerProcess($"-c {conf}");
        using var hold = new System.Net.Sockets.TcpClient();
        hold.Connect("127.0.0.1", server.ControlPort);
        Thread.Sleep(200);
        var r = Ping(server);
        Assert.True(r.ExitCode == 0, r.Stderr + server.LogText);
        // The connection that said nothing was closed to make room.
        hold.ReceiveTimeout = 3000;
        var stream = hold.GetStream();
        var buffer = new byte[128];
        int total = 0, n;
        while ((n = stream.Read(buffer)) > 0) total += n;
        Assert.Equal(64, total); // its greeting, then EOF
    }

    [Fact]
    public async Task ConnectionLimitWithEveryConnectionMeasuringRefusesWithModesZero()
    {
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        var (lo, hi) = Binary.PortRange(10);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nmax-connections 1\n");
        using var server = new ServerProcess($"-c {conf} -v");
        var busy = Task.Run(() => Binary.Run($"ping -c 300 -i 0.01 -L 1 --json {server.Endpoint}"));
        // Its session accepted (logged), then a moment for its Start-Sessions: measuring from then on.
        Assert.True(server.WaitForLog(l => l.Contains(" -> port "), TimeSpan.FromSeconds(10)), server.LogText);
        Thread.Sleep(300);
        var r = Ping(server);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("Modes = 0", r.Stderr);
        Assert.True(server.WaitForLog(l => l.Contains("connection limit") && l.Contains("refused with Modes = 0"), TimeSpan.FromSeconds(3)), server.LogText);
        Assert.Equal(0, (await busy).ExitCode);
    }

    [Fact]
    public void MlockWithUserLocksOnlyWhatIsTouched()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root)");
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        var (lo, hi) = Binary.PortRange(10);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nmlock yes\nuser nobody\n");
        using var server = new ServerProcess($"-c {conf}");
        Assert.True(server.WaitForLog(l => l.Contains("running as nobody"), TimeSpan.FromSeconds(3)), server.LogText);
        Assert.Equal(0, Ping(server).ExitCode);
        var status = File.ReadAllLines($"/proc/{server.Process.Id}/status");
        long Kb(string key) => long.Parse(status.First(l => l.StartsWith(key)).Split(' ', '\t').Last(x => x.Length > 0 && char.IsDigit(x[0])));
        // Locked (mlockall succeeded before the drop) …
        Assert.True(Kb("VmLck:") > 0, string.Join("\n", status));
        // All of it when root may lift RLIMIT_MEMLOCK (CAP_SYS_RESOURCE; some containers lack it), else
        // what is mapped now, with one warning that says why.
        bool canLift = (Convert.ToUInt64(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("CapEff:"))[7..].Trim(), 16) & (1UL << 24)) != 0;
        if (canLift) Assert.DoesNotContain("mlock:", server.LogText);
        else Assert.Contains("mlock: memory mapped now is locked, later allocations are not", server.LogText);
        // … but only touched pages are resident: not the runtime's reserved heap.
        Assert.True(Kb("VmRSS:") < 64 * 1024, $"VmRSS {Kb("VmRSS:")} kB");
    }

    [Fact]
    public void ModeAllowListOffersOnlyPermittedModes()
    {
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        var (lo, hi) = Binary.PortRange(10);
        File.WriteAllText(conf, $"test-ports {lo}-{hi}\nallow-unauth 192.0.2.0/24\n");
        using var server = new ServerProcess($"-c {conf}");
        var r = Ping(server);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("offers no mode", r.Stderr);
    }
}
