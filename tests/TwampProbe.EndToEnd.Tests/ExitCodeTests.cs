using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>What the operator sees when things go wrong: distinct exit codes and messages that say what to do.</summary>
public sealed class ExitCodeTests
{
    [Fact]
    public void NoServerIsANetworkFailureWithExitCode5()
    {
        int port = Binary.FreeTcpPort();
        var r = Binary.Run($"ping -c 1 127.0.0.1:{port}");
        Assert.Equal(5, r.ExitCode);
        Assert.Contains("connection refused", r.Stderr);
    }

    [Fact]
    public void WrongSecretIsARefusalWithExitCode4NamingTheIdentity()
    {
        using var dir = new TempDir();
        var keys = Binary.WriteKeyFile(dir.Path, "alice", "right");
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--keyfile {keys} --test-ports {lo}-{hi}");
        var wrongDir = Directory.CreateDirectory(dir.File("client")).FullName;
        var wrong = Binary.WriteKeyFile(wrongDir, "alice", "wrong");
        var r = Binary.Run($"ping -c 1 -m auth -u alice -k {wrong} {server.Endpoint}");
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("rejected the key identity 'alice'", r.Stderr);
        Assert.Contains("Accept=1", r.Stderr);
        Assert.True(server.WaitForLog(l => l.Contains("wrong shared secret for 'alice'"), TimeSpan.FromSeconds(3)), server.LogText);
        // The server keeps serving everyone else.
        Assert.Equal(0, Binary.Run($"ping -c 3 -i 0.01 -L 0.5 -m auth -u alice -k {keys} {server.Endpoint}").ExitCode);
    }

    [Fact]
    public void ModeTheServerDoesNotOfferIsARefusalWithExitCode4()
    {
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--test-ports {lo}-{hi}");
        using var dir = new TempDir();
        var keys = Binary.WriteKeyFile(dir.Path, "alice", "x");
        var r = Binary.Run($"ping -c 1 -m enc -u alice -k {keys} {server.Endpoint}");
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("no common mode", r.Stderr);
    }

    [Fact]
    public void BadFlagIsAUsageErrorWithExitCode2()
    {
        var r = Binary.Run("ping -D 64 127.0.0.1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("-D", r.Stderr);
    }

    [Fact]
    public void BadConfigRefusesToStartWithExitCode3NamingFileAndLine()
    {
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        File.WriteAllText(conf, "# comment\nlisten 127.0.0.1:9\ntest-ports 9000-8000\n");
        var r = Binary.Run($"serve -c {conf}");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains($"{conf}:3: test-ports", r.Stderr);
        var check = Binary.Run($"check-config -c {conf}");
        Assert.Equal(3, check.ExitCode);
        Assert.Contains($"{conf}:3", check.Stderr);
    }

    [Fact]
    public void DuplicateListenIsAConfigErrorNamingBothLinesInCheckConfigAndServe()
    {
        using var dir = new TempDir();
        var conf = dir.File("twampprobe.conf");
        int port = Binary.FreeTcpPort();
        File.WriteAllText(conf, $"listen 127.0.0.1:{port}\nlisten 127.0.0.1:{port}\n");
        var check = Binary.Run($"check-config -c {conf}");
        Assert.Equal(3, check.ExitCode);
        Assert.DoesNotContain("OK", check.Stdout);
        Assert.Contains($"{conf}:2: listen: 127.0.0.1:{port} is given twice (first at {conf}:1)", check.Stderr);
        var serve = Binary.Run($"serve -c {conf}", timeoutMs: 10_000);
        Assert.Equal(3, serve.ExitCode);
        Assert.Contains($"{conf}:2: listen:", serve.Stderr);
        Assert.DoesNotContain("cannot listen on TCP", serve.Stderr);
        Assert.DoesNotContain("ready:", serve.Stderr);
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("ping")]
    [InlineData("owping")]
    [InlineData("check-config")]
    [InlineData("led-test")]
    [InlineData("self-test")]
    public void EachCommandsHelpPrintsThatCommandsUsageAndExits0(string command)
    {
        foreach (var help in new[] { "-h", "--help" })
        {
            var r = Binary.Run($"{command} {help}");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("", r.Stderr);
            Assert.StartsWith($"Usage: twampprobe {command} ", r.Stdout);
            Assert.Contains("Exit codes: 0 ", r.Stdout);
        }
    }

    /// <summary>
    /// "-h" as a flag's value is that value, not a request for help: a source address for ping, a
    /// listen address for serve, a key file for check-config. Each command then fails on the value.
    /// </summary>
    [Theory]
    [InlineData("ping -c 1 -S -h 127.0.0.1", 2, "-h")]
    [InlineData("owping -c 1 -S -h 127.0.0.1", 2, "-h")]
    [InlineData("check-config --listen -h", 3, "--listen -h")]
    [InlineData("check-config --keyfile --help", 3, "--keyfile --help")]
    public void HelpAsAFlagsValueIsThatValue(string args, int exit, string named)
    {
        var r = Binary.Run(args, timeoutMs: 30_000);
        Assert.Equal(exit, r.ExitCode);
        Assert.DoesNotContain("Usage:", r.Stdout);
        Assert.Contains(named, r.Stderr);
    }

    /// <summary>
    /// Without libssl (here: /dev/null bind-mounted over it, in a mount namespace of the binary alone)
    /// help still prints, and a command that needs crypto says what to install (exit 3), no SIGABRT.
    /// </summary>
    [Fact]
    public void WithoutLibsslHelpStillPrintsAndTheCommandsSayWhatToInstall()
    {
        var libs = new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/x86_64-linux-gnu" }
            .SelectMany(d => Directory.Exists(d) ? Directory.GetFiles(d, "libssl.so*") : [])
            .Select(f => new FileInfo(f)).Where(f => f.LinkTarget is null).Select(f => f.FullName).ToArray();
        Assert.NotEmpty(libs);
        string hide = string.Join(" && ", libs.Select(l => $"mount --bind /dev/null {l}"));
        Binary.Result Run(string args) => Binary.RunFile("unshare", $"-m sh -c \"{hide} && exec {Binary.Path} {args}\"", timeoutMs: 30_000);

        var help = Run("serve -h");
        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith("Usage: twampprobe serve ", help.Stdout);
        foreach (var command in new[] { "ping -c 1 127.0.0.1", "owping -c 1 127.0.0.1", "self-test", "serve --listen 127.0.0.1:0" })
        {
            var r = Run(command);
            Assert.True(r.ExitCode == 3, $"{command}: exit {r.ExitCode}\n{r.Stderr}");
            Assert.Contains("OpenSSL's libssl (libssl3) is not installed", r.Stderr);
        }
    }

    [Fact]
    public void ServeHelpGivesServesExitCodesNotPings()
    {
        var r = Binary.Run("serve --help");
        Assert.Contains("0 stopped cleanly", r.Stdout);
        Assert.Contains("5 cannot listen", r.Stdout);
        Assert.DoesNotContain("all packets lost", r.Stdout);
    }

    [Fact]
    public void AnUnknownOptionNamesTheCommandItWasGivenTo()
    {
        var r = Binary.Run("check-config --bogus");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("check-config: unknown option --bogus", r.Stderr);
        Assert.Contains("twampprobe check-config --help", r.Stderr);
    }

    [Fact]
    public void AServeFlagErrorNamesTheFlag()
    {
        var r = Binary.Run("check-config --keyfile /nonexistent");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("twampprobe: --keyfile /nonexistent: key file not found", r.Stderr);
        Assert.DoesNotContain("command line", r.Stderr);
    }

    /// <summary>
    /// A resolver that does not answer (here: nameserver 127.0.0.1 with nothing on port 53, bind-mounted
    /// over /etc/resolv.conf in a mount namespace of the binary alone) is a network failure, exit 5;
    /// a name under .invalid (RFC 6761) does not exist: a usage error, exit 2.
    /// </summary>
    [Theory]
    [InlineData("ping")]
    [InlineData("owping")]
    [InlineData("ping -4")]
    [InlineData("owping -6")]
    public void AFailingResolverIsANetworkFailureAndANameThatDoesNotExistAUsageError(string command)
    {
        using var dir = new TempDir();
        var resolv = dir.File("resolv.conf");
        File.WriteAllText(resolv, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
        var r = Binary.RunFile("unshare", $"-m sh -c \"mount --bind {resolv} /etc/resolv.conf && exec {Binary.Path} {command} -c 1 reflector.example.net\"", timeoutMs: 30_000);
        Assert.Equal(5, r.ExitCode);
        Assert.Contains("cannot resolve 'reflector.example.net': the DNS resolver did not answer", r.Stderr);
        Assert.DoesNotContain("--help", r.Stderr);

        var missing = Binary.Run($"{command} -c 1 twampprobe-test.invalid", timeoutMs: 30_000);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("'twampprobe-test.invalid'", missing.Stderr);
    }

    /// <summary>
    /// -6 with a name that has only an IPv4 address (and -4 with an IPv6-only one) says so and names
    /// the address it has, not "host name not found": /etc/hosts and nsswitch.conf ("hosts: files")
    /// bind-mounted in a mount namespace of the binary alone. A usage error, exit 2.
    /// </summary>
    [Theory]
    [InlineData("ping -6 -c 1 v4only.test", "'v4only.test' has no IPv6 address (-6); it has IPv4 address 192.0.2.7")]
    [InlineData("owping -6 -c 1 v4only.test", "'v4only.test' has no IPv6 address (-6); it has IPv4 address 192.0.2.7")]
    [InlineData("ping -4 -c 1 v6only.test:8862", "'v6only.test' has no IPv4 address (-4); it has IPv6 address 2001:db8::7")]
    public void AFamilyTheNameDoesNotHaveIsSaidSo(string command, string message)
    {
        using var dir = new TempDir();
        var hosts = dir.File("hosts");
        File.WriteAllText(hosts, "127.0.0.1 localhost\n192.0.2.7 v4only.test\n2001:db8::7 v6only.test\n");
        var nsswitch = dir.File("nsswitch.conf");
        File.WriteAllText(nsswitch, "hosts: files\n");
        var r = Binary.RunFile("unshare", $"-m sh -c \"mount --bind {hosts} /etc/hosts && mount --bind {nsswitch} /etc/nsswitch.conf && exec {Binary.Path} {command}\"", timeoutMs: 30_000);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains(message, r.Stderr);
    }

    /// <summary>
    /// serve at boot with a listen host name while DNS does not answer yet: exit 5, which the unit's
    /// Restart=on-failure retries (exit 3 would stop it for good); a name that does not exist stays a
    /// configuration error, exit 3.
    /// </summary>
    [Theory]
    [InlineData("--listen reflector.example.net:8620")]
    [InlineData("--owamp-listen reflector.example.net:8610")]
    [InlineData("--light-listen reflector.example.net:8620")]
    public void ServeWithAListenNameWhileDnsIsDownExits5AndANameThatDoesNotExist3(string flags)
    {
        using var dir = new TempDir();
        var resolv = dir.File("resolv.conf");
        File.WriteAllText(resolv, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
        var r = Binary.RunFile("unshare", $"-m sh -c \"mount --bind {resolv} /etc/resolv.conf && exec {Binary.Path} serve {flags}\"", timeoutMs: 30_000);
        Assert.True(r.ExitCode == 5, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("cannot resolve 'reflector.example.net': the DNS resolver did not answer", r.Stderr);
        Assert.Contains("an init system restarts serve", r.Stderr);

        var missing = Binary.Run($"serve {flags.Replace("reflector.example.net", "twampprobe-test.invalid")}", timeoutMs: 30_000);
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("'twampprobe-test.invalid'", missing.Stderr);
    }

    /// <summary>ping to an OWAMP-Control port and owping to a TWAMP-Control port: the message hints at the other protocol's port.</summary>
    [Fact]
    public void TheWrongProtocolsServerGetsAHintAtTheOtherProtocolsPort()
    {
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--test-ports {lo}-{hi}");

        var ping = Binary.Run($"ping -c 1 127.0.0.1:{server.OwampPort}", timeoutMs: 30_000);
        Assert.Equal(5, ping.ExitCode);
        Assert.Contains("closed the control connection on Request-TW-Session", ping.Stderr);
        Assert.Contains("is this an OWAMP server? TWAMP-Control's is TCP 862 (RFC 8545)", ping.Stderr);

        var owping = Binary.Run($"owping -c 1 127.0.0.1:{server.ControlPort}", timeoutMs: 30_000);
        Assert.Equal(4, owping.ExitCode);
        Assert.Contains("(Accept=3)", owping.Stderr);
        Assert.Contains("is this a TWAMP server? OWAMP-Control's is TCP 861 (RFC 8545)", owping.Stderr);

        // Against the right servers, no hint.
        var right = Binary.Run($"ping -c 1 -L 0.5 127.0.0.1:{server.ControlPort}", timeoutMs: 30_000);
        Assert.Equal(0, right.ExitCode);
        Assert.DoesNotContain("OWAMP", right.Stderr);
    }

    [Fact]
    public void KeyFileReadableByOthersRefusesToStart()
    {
        using var dir = new TempDir();
        var keys = Binary.WriteKeyFile(dir.Path, "alice", "x", mode: "644");
        var r = Binary.Run($"serve --listen 127.0.0.1:{Binary.FreeTcpPort()} --keyfile {keys}");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("chmod 600", r.Stderr);
        Assert.Contains(keys, r.Stderr);
    }

    [Fact]
    public void SigtermStopsTheServerWithExitCode0WithinASecond()
    {
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--test-ports {lo}-{hi}");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, server.Stop(timeoutMs: 1000));
        Assert.True(sw.ElapsedMilliseconds < 1000, $"took {sw.ElapsedMilliseconds} ms");
    }

    [Theory]
    [InlineData("--keyfile")]
    [InlineData("-c")]
    public void UnreadableFilesGetPlainMessagesNotResourceKeys(string flag)
    {
        using var dir = new TempDir();
        var r = Binary.Run($"serve {flag} {dir.Path} --listen 127.0.0.1:{Binary.FreeTcpPort()}", timeoutMs: 10_000);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("is a directory", r.Stderr);
        Assert.DoesNotMatch(@"\b[A-Z][A-Za-z]+_[A-Za-z_]+\b", r.Stderr); // e.g. UnauthorizedAccess_IODenied_Path
    }

    [Fact]
    public void SecondServerOnTheSamePortRefusesToStartWithExitCode5()
    {
        var (lo, hi) = Binary.PortRange(10);
        using var first = new ServerProcess($"--test-ports {lo}-{hi}");
        var second = Binary.Run($"serve --listen 127.0.0.1:{first.ControlPort} --test-ports {lo}-{hi}", timeoutMs: 10_000);
        Assert.Equal(5, second.ExitCode);
        Assert.Contains($"cannot listen on TCP 127.0.0.1:{first.ControlPort}", second.Stderr);
        Assert.DoesNotContain("ready:", second.Stderr);
    }

    [Fact]
    public void AllPacketsLostIsExitCode1()
    {
        // A Light "reflector" that never answers: a bound UDP socket that reads nothing.
        using var silent = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        int port = ((System.Net.IPEndPoint)silent.Client.LocalEndPoint!).Port;
        var r = Binary.Run($"ping --light -c 3 -i 0.01 -L 0.2 127.0.0.1:{port}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("3 sent, 0 received, 3 lost", r.Stdout);
    }
}
