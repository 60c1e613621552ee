using Xunit;
using Xunit.Abstractions;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// The shipped systemd unit and BusyBox init script: what they must (not) contain, checked by
/// parsing the unit (systemd cannot run here: no systemd PID 1) and by running the init script
/// with start-stop-daemon against the published binary.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServiceFilesTests(ITestOutputHelper output)
{
    static string UnitPath => Path.Combine(ImageAndArm64Tests.RepoRoot, "rootfs-overlay", "lib", "systemd", "system", "twampprobe.service");
    static string InitScriptPath => Path.Combine(ImageAndArm64Tests.RepoRoot, "rootfs-overlay", "etc", "init.d", "S50twampprobe");

    /// <summary>Key=value lines of the [Service] section (comments and other sections left out).</summary>
    static List<(string Key, string Value)> Service() => Section("[Service]");

    static List<(string Key, string Value)> Section(string wanted)
    {
        var list = new List<(string, string)>();
        string section = "";
        foreach (var raw in File.ReadAllLines(UnitPath))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line.StartsWith('[')) { section = line; continue; }
            int eq = line.IndexOf('=');
            if (section == wanted && eq > 0) list.Add((line[..eq].Trim(), line[(eq + 1)..].Trim()));
        }
        return list;
    }

    [Fact]
    public void UnitLeavesAdjtimexReadableSoTheClockStateIsReal()
    {
        var service = Service();
        // ProtectClock=yes fails even a read-only adjtimex with EPERM (a seccomp filter on @clock).
        Assert.DoesNotContain(service, kv => kv.Key == "ProtectClock" && kv.Value is not ("no" or "false" or "0" or "off"));
        foreach (var (_, value) in service.Where(kv => kv.Key == "SystemCallFilter"))
        {
            bool denyList = value.StartsWith('~');
            bool namesClock = value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(s => s.TrimStart('~') is "@clock" or "adjtimex" or "clock_adjtime");
            Assert.False(denyList && namesClock, $"SystemCallFilter={value} denies adjtimex");
        }
        Assert.Contains(File.ReadAllLines(UnitPath), l => l.TrimStart().StartsWith('#') && l.Contains("ProtectClock"));
    }

    [Fact]
    public void UnitRaisesTheDescriptorLimitAndStaysHardened()
    {
        var service = Service().GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        Assert.True(service.TryGetValue("LimitNOFILE", out var nofile), "LimitNOFILE missing");
        Assert.True(int.TryParse(nofile.Split(':')[^1], out int hard) && hard >= 65536, $"LimitNOFILE={nofile}");
        Assert.Equal("yes", service["NoNewPrivileges"]);
        Assert.Equal("strict", service["ProtectSystem"]);
        Assert.Equal("yes", service["ProtectKernelModules"]);
        Assert.Equal("yes", service["RestrictNamespaces"]);
        Assert.DoesNotContain("CAP_SYS_TIME", service["CapabilityBoundingSet"]);
    }

    /// <summary>
    /// DevicePolicy=closed denies every device node not named in DeviceAllow=: without /dev/ptpN
    /// (opened read-only for 'interface', PhcDevice) hardware timestamps would silently fall back to
    /// software ones under systemd.
    /// </summary>
    [Fact]
    public void UnitLetsTheDaemonReadThePtpHardwareClock()
    {
        var service = Service();
        if (!service.Any(kv => kv.Key == "DevicePolicy" && kv.Value is "closed" or "strict")) return;
        Assert.Contains(service, kv => kv.Key == "DeviceAllow" && kv.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["char-ptp", var access] &&
            access.Contains('r'));
        Assert.Contains(service, kv => kv.Key == "DeviceAllow" && kv.Value.StartsWith("char-gpiochip"));
    }

    [Fact]
    public void UnitPassesSystemdAnalyzeVerify()
    {
        using var dir = new TempDir();
        var unit = dir.File("twampprobe.service");
        // verify checks that ExecStart binaries exist: point them at the published one.
        File.WriteAllText(unit, File.ReadAllText(UnitPath).Replace("/usr/sbin/twampprobe", Binary.Path));
        Binary.Result r;
        try { r = Binary.RunFile("systemd-analyze", $"verify --man=no {unit}", 60_000); }
        catch (System.ComponentModel.Win32Exception) { output.WriteLine("SKIPPED: systemd-analyze not installed"); return; }
        Assert.True(r.ExitCode == 0 && r.Stderr.Trim().Length == 0, $"systemd-analyze verify exited {r.ExitCode}:\n{r.Stdout}{r.Stderr}");
    }

    [Fact]
    public void InitScriptStartsTheDaemonWithARaisedDescriptorLimit()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root): the script raises the hard limit");
        using var dir = new TempDir();
        var (lo, hi) = Binary.PortRange(10);
        int port = Binary.FreeTcpPort();
        var conf = dir.File("twampprobe.conf");
        File.WriteAllText(conf, $"listen 127.0.0.1:{port}\ntest-ports {lo}-{hi}\n");
        var pidFile = dir.File("twampprobe.pid");
        var logFile = dir.File("twampprobe.log");
        var defaults = dir.File("default");
        File.WriteAllText(defaults, $"DAEMON={Binary.Path}\nCONF={conf}\nPIDFILE={pidFile}\nLOGFILE={logFile}\nSYSCTL=/nonexistent\n");
        // The shipped script, reading this test's defaults instead of /etc/default/twampprobe.
        var script = dir.File("S50twampprobe");
        var text = File.ReadAllText(InitScriptPath);
        Assert.Contains("/etc/default/twampprobe", text);
        File.WriteAllText(script, text.Replace("/etc/default/twampprobe", defaults));

        // Started the way an init may leave it: soft 1024, hard 4096.
        var start = Binary.RunFile("prlimit", $"--nofile=1024:4096 -- /bin/sh {script} start", 30_000);
        try
        {
            Assert.True(start.ExitCode == 0, $"start exited {start.ExitCode}:\n{start.Stdout}{start.Stderr}\n{Log(logFile)}");
            int pid = int.Parse(File.ReadAllText(pidFile).Trim());
            var limits = File.ReadAllLines($"/proc/{pid}/limits").First(l => l.StartsWith("Max open files"))["Max open files".Length..]
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // Root raises the hard limit to NOFILE=65536 only with CAP_SYS_RESOURCE (some containers
            // lack it); either way the script hands the daemon a soft limit already at the hard one.
            string expected = HasCapability(24) ? "65536" : "4096";
            output.WriteLine($"CAP_SYS_RESOURCE: {HasCapability(24)}; limits {limits[0]} {limits[1]}");
            Assert.Equal([expected, expected], limits[..2]);
            Assert.Contains($"descriptors: limit {expected} (the hard limit)", Log(logFile));
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
        }
        finally
        {
            var stop = Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
            output.WriteLine(stop.Stdout + stop.Stderr);
        }
        Assert.False(File.Exists(pidFile), "pid file left behind by stop");
    }

    /// <summary>
    /// An always-on daemon that cannot listen yet (exit 5: its address not up, DNS not answering at
    /// boot) is restarted until it can: systemd's default start limit (5 starts in 10 s) would stop
    /// a unit that fails every RestartSec=2 for good after 10 s.
    /// </summary>
    [Fact]
    public void NetworkFailuresAreRestartedWithoutAStartLimit()
    {
        var service = Service();
        Assert.Equal("on-failure", service.Single(kv => kv.Key == "Restart").Value);
        Assert.DoesNotContain("5", service.Single(kv => kv.Key == "RestartPreventExitStatus").Value.Split(' '));
        Assert.Equal("0", Section("[Unit]").Single(kv => kv.Key == "StartLimitIntervalSec").Value);
    }

    [Fact]
    public void ConfigErrorsStopTheUnitInsteadOfRestartingIt()
    {
        var service = Service();
        // serve exits 3 on a bad file; a failing ExecStartPre would not be covered by RestartPreventExitStatus.
        Assert.DoesNotContain(service, kv => kv.Key == "ExecStartPre");
        var prevent = service.Single(kv => kv.Key == "RestartPreventExitStatus").Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("3", prevent);
        Assert.Contains("2", prevent);
    }

    [Fact]
    public void SysctlFileLeavesTheDefaultsOfOtherSocketsAlone()
    {
        var lines = File.ReadAllLines(Path.Combine(ImageAndArm64Tests.RepoRoot, "rootfs-overlay", "etc", "sysctl.d", "60-twampprobe.conf"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#').ToList();
        Assert.DoesNotContain(lines, l => l.StartsWith("net.core.rmem_default") || l.StartsWith("net.core.wmem_default"));
        Assert.Contains(lines, l => l.StartsWith("net.core.rmem_max"));
    }

    /// <summary>The shipped init script with its defaults pointed at this test's files.</summary>
    static (string Script, string PidFile, string LogFile, int Port) InitScript(TempDir dir, string runDir, string logDir, string? daemon = null, string extraDefaults = "")
    {
        var (lo, hi) = Binary.PortRange(10);
        int port = Binary.FreeTcpPort();
        var conf = dir.File("twampprobe.conf");
        File.WriteAllText(conf, $"listen 127.0.0.1:{port}\ntest-ports {lo}-{hi}\n");
        var pidFile = Path.Combine(runDir, "twampprobe.pid");
        var logFile = Path.Combine(logDir, "twampprobe.log");
        var defaults = dir.File("default");
        File.WriteAllText(defaults, $"DAEMON={daemon ?? Binary.Path}\nCONF={conf}\nPIDFILE={pidFile}\nLOGFILE={logFile}\nSYSCTL=/nonexistent\n{extraDefaults}");
        var script = dir.File("S50twampprobe");
        File.WriteAllText(script, File.ReadAllText(InitScriptPath).Replace("/etc/default/twampprobe", defaults));
        return (script, pidFile, logFile, port);
    }

    [Fact]
    public void InitScriptStartsOnAFreshRootWithoutRunAndLogDirectories()
    {
        using var dir = new TempDir();
        var (script, pidFile, logFile, port) = InitScript(dir, dir.File("var/run"), dir.File("var/log"));
        Assert.False(Directory.Exists(dir.File("var")));
        var start = Binary.RunFile("/bin/sh", $"{script} start", 30_000);
        try
        {
            Assert.True(start.ExitCode == 0, $"start exited {start.ExitCode}:\n{start.Stdout}{start.Stderr}");
            Assert.Contains("OK", start.Stdout);
            Assert.True(File.Exists(pidFile));
            Assert.Contains("ready:", Log(logFile));
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
        }
        finally { Binary.RunFile("/bin/sh", $"{script} stop", 30_000); }
    }

    /// <summary>
    /// './S50twampprobe start' from /etc/init.d: the supervisor runs the script again from / (where
    /// start-stop-daemon starts it), so a relative $0 named nothing there and start said FAIL.
    /// </summary>
    [Fact]
    public void InitScriptStartedByARelativePathStartsItsSupervisor()
    {
        using var dir = new TempDir();
        var (script, pidFile, logFile, port) = InitScript(dir, dir.Path, dir.Path);
        var start = Binary.RunFile("/bin/sh", $"./{Path.GetFileName(script)} start", 30_000, Path.GetDirectoryName(script));
        try
        {
            Assert.True(start.ExitCode == 0 && start.Stdout.Contains("OK"), $"start exited {start.ExitCode}:\n{start.Stdout}{start.Stderr}\n{Log(logFile)}");
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
        }
        finally { Binary.RunFile("/bin/sh", $"{script} stop", 30_000); }
        Assert.False(File.Exists(pidFile), "pid file left behind by stop");
    }

    [Fact]
    public void StalePidFileNamingAnotherProcessIsNeitherTrustedNorKilled()
    {
        using var dir = new TempDir();
        var (script, pidFile, _, port) = InitScript(dir, dir.Path, dir.Path);
        using var bystander = System.Diagnostics.Process.Start("sleep", "60")!;
        try
        {
            File.WriteAllText(pidFile, $"{bystander.Id}\n");
            var status = Binary.RunFile("/bin/sh", $"{script} status", 10_000);
            Assert.Equal(3, status.ExitCode);
            var start = Binary.RunFile("/bin/sh", $"{script} start", 30_000);
            Assert.True(start.ExitCode == 0 && start.Stdout.Contains("OK"), start.Stdout + start.Stderr);
            Assert.NotEqual(bystander.Id, int.Parse(File.ReadAllText(pidFile).Trim()));
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
            Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
            // A stale file again: stop must not signal the process it names.
            File.WriteAllText(pidFile, $"{bystander.Id}\n");
            var stop = Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
            Assert.Contains("not running", stop.Stdout);
            Assert.False(bystander.HasExited, "stop killed the process a stale pid file named");
        }
        finally
        {
            Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
            bystander.Kill();
        }
    }

    /// <summary>
    /// A supervisor pid file left by a supervisor that was killed (SIGKILL, the OOM killer) names no
    /// process: status, start and stop say so without a shell error about /proc/PID/cmdline.
    /// </summary>
    [Fact]
    public void StaleSupervisorPidFileIsQuietlyIgnored()
    {
        using var dir = new TempDir();
        var (script, _, _, port) = InitScript(dir, dir.Path, dir.Path);
        var gone = System.Diagnostics.Process.Start("true")!;
        gone.WaitForExit();
        var supervisorPidFile = Path.Combine(dir.Path, "twampprobe.supervisor.pid");
        File.WriteAllText(supervisorPidFile, $"{gone.Id}\n");
        try
        {
            var status = Binary.RunFile("/bin/sh", $"{script} status", 10_000);
            Assert.Equal(3, status.ExitCode);
            Assert.Equal("", status.Stderr);
            File.WriteAllText(supervisorPidFile, $"{gone.Id}\n");
            var stop = Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
            Assert.Contains("not running", stop.Stdout);
            Assert.Equal("", stop.Stderr);
            File.WriteAllText(supervisorPidFile, $"{gone.Id}\n");
            var start = Binary.RunFile("/bin/sh", $"{script} start", 30_000);
            Assert.True(start.ExitCode == 0 && start.Stdout.Contains("OK"), start.Stdout + start.Stderr);
            Assert.Equal("", start.Stderr);
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
        }
        finally { Binary.RunFile("/bin/sh", $"{script} stop", 30_000); }
    }

    [Fact]
    public void InitScriptStartReturnsOnlyOnceTheDaemonListens()
    {
        using var dir = new TempDir();
        // A daemon that takes 2 s to come up (a slow board, a key file on slow flash): named
        // twampprobe, as the script's running check expects, and then the real binary.
        var slow = Executable(dir, "twampprobe", $"#!/bin/sh\nsleep 2\nexec {Binary.Path} \"$@\"\n");
        var (script, pidFile, logFile, port) = InitScript(dir, dir.Path, dir.Path, daemon: slow);
        var start = Binary.RunFile("/bin/sh", $"{script} start", 60_000);
        try
        {
            Assert.True(start.ExitCode == 0 && start.Stdout.Contains("OK"), $"start exited {start.ExitCode}:\n{start.Stdout}{start.Stderr}\n{Log(logFile)}");
            // OK means listening: the first connection attempt succeeds, no retry.
            using (var tcp = new System.Net.Sockets.TcpClient())
                tcp.Connect(System.Net.IPAddress.Loopback, port);
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
            Assert.False(File.Exists(Path.Combine(dir.Path, "twampprobe.ready")), "readiness FIFO left behind");
        }
        finally { Binary.RunFile("/bin/sh", $"{script} stop", 30_000); }
    }

    /// <summary>
    /// The boot case: the daemon cannot listen yet (here someone else holds its port; at boot, the
    /// address is not up) and exits 5. start says FAIL at once, not after READY_TIMEOUT, and that it
    /// keeps trying; the supervisor starts serve again every RESPAWN_DELAY s, and once the port is free
    /// it listens without anyone running start again. stop ends the retrying too.
    /// </summary>
    [Fact]
    public void ADaemonThatExitsBeforeListeningIsReportedAtOnceAndStartedAgainUntilItListens()
    {
        using var dir = new TempDir();
        var (script, pidFile, logFile, port) = InitScript(dir, dir.Path, dir.Path, extraDefaults: "READY_TIMEOUT=25\nRESPAWN_DELAY=1\n");
        var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        squatter.Start();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var start = Binary.RunFile("/bin/sh", $"{script} start", 60_000);
            clock.Stop();
            output.WriteLine($"start: {start.Stdout.Trim()} ({clock.Elapsed.TotalSeconds:F1} s)");
            Assert.NotEqual(0, start.ExitCode);
            Assert.Contains("FAIL (serve exited 5 before listening; started again in 1 s, then at doubling intervals up to 60 s, until it listens; see", start.Stdout);
            // Found dead, not timed out (READY_TIMEOUT is 25 s).
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"start took {clock.Elapsed.TotalSeconds:F1} s: it waited for the timeout");
            Assert.Contains("ddress already in use", Log(logFile));
            var status = Binary.RunFile("/bin/sh", $"{script} status", 10_000);
            Assert.Equal(3, status.ExitCode);
            Assert.Contains("its supervisor (pid", status.Stdout);
            Assert.True(Eventually(() => Log(logFile).Contains("serve exited 5: starting it again in 2 s"), TimeSpan.FromSeconds(10)),
                $"the second quick failure did not double the wait:\n{Log(logFile)}");
            squatter.Stop();
            Assert.True(Eventually(() => Binary.RunFile("/bin/sh", $"{script} status", 10_000).ExitCode == 0, TimeSpan.FromSeconds(20)),
                $"not started again once the port was free:\n{Log(logFile)}");
            // Each quick failure doubles the wait: 1 s, then 2 s (RESPAWN_DELAY=1).
            Assert.Contains("serve exited 5: starting it again in 1 s", Log(logFile));
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
        }
        finally
        {
            squatter.Stop();
            Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
        }
        Assert.False(File.Exists(pidFile), "pid file left behind by stop");
        Assert.False(File.Exists(Path.Combine(dir.Path, "twampprobe.supervisor.pid")), "supervisor pid file left behind by stop");
    }

    /// <summary>
    /// stop while start waits for READY, the supervisor not yet past starting the daemon (here a slow
    /// cut, which reads /proc/uptime before each start: a loaded board): the SIGTERM came with no child to forward it to, so the supervisor started
    /// the daemon anyway and waited on it; stop took 10 s and SIGKILLed it, start said OK meanwhile.
    /// Now no daemon is started, stop returns at once and start says it was stopped.
    /// </summary>
    [Fact]
    public async Task StopWhileTheSupervisorStartsTheDaemonStopsItAtOnce()
    {
        using var dir = new TempDir();
        Executable(dir, "cut", "#!/bin/sh\nsleep 2\nexec /usr/bin/cut \"$@\"\n");
        var (script, pidFile, logFile, port) = InitScript(dir, dir.Path, dir.Path, extraDefaults: $"PATH={dir.File("bin")}:$PATH\n");
        var supervisorPidFile = Path.Combine(dir.Path, "twampprobe.supervisor.pid");
        var start = Task.Run(() => Binary.RunFile("/bin/sh", $"{script} start", 60_000));
        try
        {
            Assert.True(Eventually(() => File.Exists(supervisorPidFile), TimeSpan.FromSeconds(10)), "no supervisor");
            int supervisor = int.Parse(File.ReadAllText(supervisorPidFile).Trim());
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var stop = Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
            clock.Stop();
            Assert.Contains("OK", stop.Stdout);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"stop took {clock.Elapsed.TotalSeconds:F1} s\n{Log(logFile)}");
            var started = await start.WaitAsync(TimeSpan.FromSeconds(10)); // not still waiting for READY
            Assert.Contains("FAIL (stopped while starting)", started.Stdout);
            Assert.False(ProcessAlive(supervisor), "stop left the supervisor running");
            Thread.Sleep(500);
            Assert.NotEqual(0, Binary.Run($"ping -c 1 -L 0.5 127.0.0.1:{port}").ExitCode);
            Assert.NotEqual(0, Binary.RunFile("/bin/sh", $"{script} status", 10_000).ExitCode);
        }
        finally
        {
            try { await start.WaitAsync(TimeSpan.FromSeconds(40)); } catch (TimeoutException) { }
            Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
        }
        Assert.False(File.Exists(pidFile), "pid file left behind by stop");
        Assert.False(File.Exists(supervisorPidFile), "supervisor pid file left behind by stop");
    }

    /// <summary>
    /// Two starts at once (two operators; an init and a hand): each passed the running checks and
    /// started a supervisor, the second clobbering the first's pid files, so stop ended one and the
    /// other kept the daemon running (and restarted it) with status saying stopped. Now the second
    /// waits for the first and finds it running. (A check-config that takes 1 s, a slow board, makes
    /// both pass their checks before either supervisor writes its pid file.)
    /// </summary>
    [Fact]
    public async Task TwoStartsAtOnceStartOneSupervisorAndStopEndsAll()
    {
        using var dir = new TempDir();
        var slowCheck = Executable(dir, "twampprobe", $"#!/bin/sh\n[ \"$1\" = check-config ] && sleep 1\nexec {Binary.Path} \"$@\"\n");
        var (script, pidFile, logFile, port) = InitScript(dir, dir.Path, dir.Path, daemon: slowCheck, extraDefaults: "RESPAWN_DELAY=1\n");
        int Supervisors() => Directory.GetDirectories("/proc").Count(d =>
        {
            try { var c = File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' '); return c.Contains(script) && c.Contains(" _supervise "); }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        });
        try
        {
            var first = Task.Run(() => Binary.RunFile("/bin/sh", $"{script} start", 90_000));
            await Task.Delay(100);
            var second = Task.Run(() => Binary.RunFile("/bin/sh", $"{script} start", 90_000));
            var results = await Task.WhenAll(first, second);
            output.WriteLine(results[0].Stdout + results[1].Stdout);
            Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr));
            Assert.Equal(1, Supervisors());
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
            Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
            Thread.Sleep(2500); // longer than RESPAWN_DELAY: nothing may come back
            Assert.Equal(0, Supervisors());
            Assert.NotEqual(0, Binary.Run($"ping -c 1 -L 0.5 127.0.0.1:{port}").ExitCode);
        }
        finally
        {
            Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
            foreach (var d in Directory.GetDirectories("/proc"))
                try
                {
                    if (int.TryParse(Path.GetFileName(d), out int pid) && File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ').Contains(script))
                        System.Diagnostics.Process.GetProcessById(pid).Kill(true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException) { }
        }
        Assert.False(File.Exists(pidFile), "pid file left behind by stop");
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "twampprobe.start.lock")), "start lock left behind");
    }

    /// <summary>
    /// Always on, also without systemd: a daemon that dies (SIGKILL, as the OOM killer sends) is started
    /// again by the supervisor and serves; stop then ends both, and nothing starts it again.
    /// </summary>
    [Fact]
    public void ACrashedDaemonIsStartedAgainAndStopEndsItForGood()
    {
        using var dir = new TempDir();
        var (script, pidFile, logFile, port) = InitScript(dir, dir.Path, dir.Path, extraDefaults: "RESPAWN_DELAY=1\n");
        var start = Binary.RunFile("/bin/sh", $"{script} start", 30_000);
        try
        {
            Assert.True(start.ExitCode == 0 && start.Stdout.Contains("OK"), $"start exited {start.ExitCode}:\n{start.Stdout}{start.Stderr}\n{Log(logFile)}");
            int first = int.Parse(File.ReadAllText(pidFile).Trim());
            System.Diagnostics.Process.GetProcessById(first).Kill();
            int second = 0;
            Assert.True(Eventually(() => File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out second) && second != first
                && Binary.RunFile("/bin/sh", $"{script} status", 10_000).ExitCode == 0, TimeSpan.FromSeconds(20)), $"not started again:\n{Log(logFile)}");
            Assert.Contains("serve exited 137: starting it again in 1 s", Log(logFile));
            Assert.True(Eventually(() => Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode == 0, TimeSpan.FromSeconds(10)), Log(logFile));

            var stop = Binary.RunFile("/bin/sh", $"{script} stop", 30_000);
            Assert.Contains("OK", stop.Stdout);
            Assert.False(ProcessAlive(second), "stop left the daemon running");
            Thread.Sleep(2500); // longer than RESPAWN_DELAY: nothing may come back
            Assert.NotEqual(0, Binary.RunFile("/bin/sh", $"{script} status", 10_000).ExitCode);
            Assert.NotEqual(0, Binary.Run($"ping -c 1 -L 0.5 127.0.0.1:{port}").ExitCode);
        }
        finally { Binary.RunFile("/bin/sh", $"{script} stop", 30_000); }
        Assert.False(File.Exists(pidFile), "pid file left behind by stop");
    }

    /// <summary>
    /// A daemon that exits with a configuration error (3) is not started again: it would only fail
    /// again, every RESPAWN_DELAY, for ever. Here a wrapper passes check-config and then exits 3, as
    /// serve does when its key file turns out unreadable at start.
    /// </summary>
    [Fact]
    public void AConfigurationErrorIsNotStartedAgain()
    {
        using var dir = new TempDir();
        var failing = Executable(dir, "twampprobe", $"#!/bin/sh\n[ \"$1\" = check-config ] && exec {Binary.Path} \"$@\"\necho 'serve: bad key file' >&2\nexit 3\n");
        var (script, pidFile, logFile, _) = InitScript(dir, dir.Path, dir.Path, daemon: failing, extraDefaults: "RESPAWN_DELAY=1\n");
        var start = Binary.RunFile("/bin/sh", $"{script} start", 30_000);
        try
        {
            Assert.NotEqual(0, start.ExitCode);
            Assert.Contains("FAIL (see", start.Stdout);
            Assert.DoesNotContain("started again", start.Stdout);
            Thread.Sleep(2500);
            Assert.Equal(1, Log(logFile).Split("serve: bad key file").Length - 1);
            Assert.Contains("serve exited 3 (a usage or configuration error): not restarting", Log(logFile));
            Assert.False(File.Exists(pidFile));
            Assert.Contains("stopped", Binary.RunFile("/bin/sh", $"{script} status", 10_000).Stdout);
        }
        finally { Binary.RunFile("/bin/sh", $"{script} stop", 30_000); }
    }

    /// <summary>
    /// A daemon that exits 0 before listening (a stray SIGTERM; DAEMON_ARGS="--version") is not started
    /// again, so start must not say it is: it did while the supervisor, about to exit, still ran (here
    /// made to last by a slow rm of its pid file).
    /// </summary>
    [Fact]
    public void ADaemonThatExitsZeroBeforeListeningIsNotSaidToBeStartedAgain()
    {
        using var dir = new TempDir();
        var quitting = Executable(dir, "twampprobe", $"#!/bin/sh\n[ \"$1\" = check-config ] && exec {Binary.Path} \"$@\"\necho 'serve: nothing to do' >&2\nexit 0\n");
        Executable(dir, "rm", "#!/bin/sh\ncase \"$*\" in *supervisor.pid*) sleep 2 ;; esac\nexec /usr/bin/rm \"$@\"\n");
        var (script, pidFile, logFile, _) = InitScript(dir, dir.Path, dir.Path, daemon: quitting,
            extraDefaults: $"RESPAWN_DELAY=1\nPATH={dir.File("bin")}:$PATH\n");
        var start = Binary.RunFile("/bin/sh", $"{script} start", 30_000);
        try
        {
            Assert.NotEqual(0, start.ExitCode);
            Assert.Contains("FAIL (see", start.Stdout);
            Assert.DoesNotContain("started again", start.Stdout);
            Thread.Sleep(3000);
            Assert.Equal(1, Log(logFile).Split("serve: nothing to do").Length - 1);
            Assert.Contains("serve exited 0: not restarting", Log(logFile));
        }
        finally { Binary.RunFile("/bin/sh", $"{script} stop", 30_000); }
        Assert.False(File.Exists(pidFile));
    }

    /// <summary>
    /// A start killed right after it took the lock (mkdir) leaves a lock without a pid: the next start
    /// takes it over after 2 s instead of waiting READY_TIMEOUT and failing, then and at every later boot.
    /// </summary>
    [Fact]
    public void ALockLeftWithoutAPidIsTakenOver()
    {
        using var dir = new TempDir();
        var (script, pidFile, logFile, port) = InitScript(dir, dir.Path, dir.Path);
        Directory.CreateDirectory(Path.Combine(dir.Path, "twampprobe.start.lock"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var start = Binary.RunFile("/bin/sh", $"{script} start", 60_000);
        try
        {
            Assert.True(start.ExitCode == 0 && start.Stdout.Contains("OK"), $"start exited {start.ExitCode}:\n{start.Stdout}{start.Stderr}\n{Log(logFile)}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"start took {clock.Elapsed.TotalSeconds:F1} s");
            Assert.False(Directory.Exists(Path.Combine(dir.Path, "twampprobe.start.lock")), "lock left behind by start");
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
        }
        finally { Binary.RunFile("/bin/sh", $"{script} stop", 30_000); }
        Assert.False(File.Exists(pidFile), "pid file left behind by stop");
    }

    /// <summary>
    /// A supervisor killed alone (the daemon runs on): status and start say that nothing would start the
    /// daemon again after a crash, and how to fix it; stop still ends the daemon.
    /// </summary>
    [Fact]
    public void ADaemonWhoseSupervisorWasKilledIsSaidToBeUnsupervised()
    {
        using var dir = new TempDir();
        var (script, pidFile, logFile, port) = InitScript(dir, dir.Path, dir.Path);
        var start = Binary.RunFile("/bin/sh", $"{script} start", 30_000);
        try
        {
            Assert.True(start.ExitCode == 0 && start.Stdout.Contains("OK"), $"start exited {start.ExitCode}:\n{start.Stdout}{start.Stderr}\n{Log(logFile)}");
            Assert.DoesNotContain("without its supervisor", Binary.RunFile("/bin/sh", $"{script} status", 10_000).Stdout);
            int supervisor = int.Parse(File.ReadAllText(Path.Combine(dir.Path, "twampprobe.supervisor.pid")).Trim());
            int daemon = int.Parse(File.ReadAllText(pidFile).Trim());
            System.Diagnostics.Process.GetProcessById(supervisor).Kill();
            Assert.True(Eventually(() => !ProcessAlive(supervisor), TimeSpan.FromSeconds(5)));
            var status = Binary.RunFile("/bin/sh", $"{script} status", 10_000);
            Assert.Equal(0, status.ExitCode);
            Assert.Contains($"running (pid {daemon}), without its supervisor: it is not started again after a crash until", status.Stdout);
            Assert.Contains("without its supervisor", Binary.RunFile("/bin/sh", $"{script} start", 30_000).Stdout);
            Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 127.0.0.1:{port}").ExitCode);
            Assert.Contains("OK", Binary.RunFile("/bin/sh", $"{script} stop", 30_000).Stdout);
            Assert.False(ProcessAlive(daemon), "stop left the unsupervised daemon running");
        }
        finally { Binary.RunFile("/bin/sh", $"{script} stop", 30_000); }
    }

    /// <summary>An executable shell script <paramref name="name"/> in <c>dir/bin</c> (a stand-in for the daemon or a tool).</summary>
    static string Executable(TempDir dir, string name, string body)
    {
        Directory.CreateDirectory(dir.File("bin"));
        var path = dir.File($"bin/{name}");
        File.WriteAllText(path, body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    static bool ProcessAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    static bool Eventually(Func<bool> condition, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (DateTime.UtcNow < until)
        {
            if (condition()) return true;
            Thread.Sleep(200);
        }
        return condition();
    }

    [Fact]
    public void ReadyFdThatIsNotOpenIsACommandLineError()
    {
        var (lo, hi) = Binary.PortRange(10);
        var r = Binary.Run($"serve --listen 127.0.0.1:{Binary.FreeTcpPort()} --test-ports {lo}-{hi} --ready-fd 9", 20_000);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--ready-fd 9: descriptor 9 is not open for writing", r.Stderr);
    }

    [Fact]
    public void UnitIsNotifyTypeSoStartedMeansListening()
    {
        var service = Service();
        Assert.Contains(("Type", "notify"), service);
        Assert.Contains(("NotifyAccess", "main"), service);
        Assert.Contains(service, kv => kv.Key == "RestrictAddressFamilies" && kv.Value.Split(' ').Contains("AF_UNIX"));
    }

    static bool HasCapability(int bit) =>
        (Convert.ToUInt64(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("CapEff:"))[7..].Trim(), 16) & (1UL << bit)) != 0;

    static string Log(string path) => File.Exists(path) ? File.ReadAllText(path) : "(no log)";
}
