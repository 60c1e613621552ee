using TwampProbe.Config;
using TwampProbe.Diagnostics;

namespace TwampProbe.Tests.Config;

public sealed class ConfigFileTests
{
    const string Path = "/etc/twampprobe/twampprobe.conf";

    const string Full = """
        # every directive once
        listen 192.0.2.1:8620
        listen [2001:db8::1]:862
        keyfile keys.pfs
        modes unauth,mixed
        test-ports 20000-20100
        light-listen 127.0.0.1:8620
        interface eth1
        count 4096
        reflector-cpu 2
        sched-fifo 50
        mlock yes
        socket-buffer 1048576

        servwait 60
        refwait 30     # trailing comment
        max-sessions 100
        max-sessions-per-connection 10
        max-connections 20
        max-connections-per-prefix 4 24 48
        max-padding 1500
        allow-unauth 192.0.2.0/24 2001:db8::/32
        allow-auth 198.51.100.0/24
        allow-enc 203.0.113.7
        allow-mixed ::1
        light-allow 10.0.0.0/8
        log-level debug
        syslog on
        user twamp
        led status gpio 0 17
        led fault sysfs led0 active-low
        """;

    /// <summary>
    /// SIGHUP applies the key file read again (ServeCommand.Reload: Keys = fresh.Keys, from the path
    /// the file names now), and the default modes follow its identities: keyfile is reloadable, and
    /// what Describe() says of it must agree (README's directive table does).
    /// </summary>
    [Fact]
    public void KeyFileIsDescribedAsReloadable() =>
        Assert.Contains(ConfigFile.Describe(), d => d.Name == "keyfile" && d.Reloadable);

    [Fact]
    public void EveryDirectiveParses()
    {
        var (s, app) = ConfigFile.Parse(Full, Path);

        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.1"), 8620), new IPEndPoint(IPAddress.Parse("2001:db8::1"), 862)], s.Listen);
        Assert.Equal("/etc/twampprobe/keys.pfs", s.KeyFilePath);
        Assert.Equal(TwampModes.Unauthenticated | TwampModes.Mixed, s.Modes);
        Assert.Equal((20000, 20100), (s.TestPortLow, s.TestPortHigh));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8620), s.LightListen);
        Assert.Equal("eth1", s.Interface);
        Assert.Equal(4096u, s.Count);
        Assert.Equal(2, s.ReflectorCpu);
        Assert.Equal(50, s.FifoPriority);
        Assert.True(s.LockMemory);
        Assert.Equal(1048576, s.SocketBufferBytes);
        var l = s.Limits;
        Assert.Equal(TimeSpan.FromSeconds(60), l.ServWait);
        Assert.Equal(TimeSpan.FromSeconds(30), l.RefWait);
        Assert.Equal(100, l.MaxSessions);
        Assert.Equal(10, l.MaxSessionsPerConnection);
        Assert.Equal(20, l.MaxConnections);
        Assert.Equal((4, 24, 48), (l.MaxConnectionsPerPrefix, l.PerPrefixLengthV4, l.PerPrefixLengthV6));
        Assert.Equal(1500, l.MaxPadding);
        Assert.Equal(["192.0.2.0/24", "2001:db8::/32"], l.AllowedClients[TwampModes.Unauthenticated].Select(p => p.ToString()));
        Assert.Equal(["198.51.100.0/24"], l.AllowedClients[TwampModes.Authenticated].Select(p => p.ToString()));
        Assert.Equal(["203.0.113.7"], l.AllowedClients[TwampModes.Encrypted].Select(p => p.ToString()));
        Assert.Equal(["::1"], l.AllowedClients[TwampModes.Mixed].Select(p => p.ToString()));
        Assert.Equal(["10.0.0.0/8"], l.LightAllow.Select(p => p.ToString()));
        Assert.Equal(LogLevel.Debug, app.LogLevel);
        Assert.True(app.Syslog);
        Assert.Equal("twamp", app.User);
        Assert.Equal([new LedSpec(LedRole.Status, LedBackend.Gpio, "0", 17, false), new LedSpec(LedRole.Fault, LedBackend.Sysfs, "led0", 0, true)], app.Leds);
    }

    [Fact]
    public void EmptyFileGivesTheDefaults()
    {
        var (s, app) = ConfigFile.Parse("# nothing\n\n   \n", Path);

        Assert.Equal(new ServerSettings().Listen, s.Listen);
        Assert.Equal((18760, 19960), (s.TestPortLow, s.TestPortHigh));
        Assert.Equal(TimeSpan.FromSeconds(900), s.Limits.ServWait);
        Assert.Equal(TimeSpan.FromSeconds(900), s.Limits.RefWait);
        Assert.Equal(2048u, s.Count);
        Assert.Equal(LogLevel.Info, app.LogLevel);
        Assert.Equal(["127.0.0.0/8", "::1/128"], s.Limits.LightAllow.Select(p => p.ToString()));
    }

    [Fact]
    public void CommentsBlankLinesAndCrLfAreIgnored()
    {
        var (s, _) = ConfigFile.Parse("# comment\r\n\r\n\tservwait 5 # five\r\n#servwait 7\r\n", Path);

        Assert.Equal(TimeSpan.FromSeconds(5), s.Limits.ServWait);
    }

    public static TheoryData<string, string, string> BadLines() => new()
    {
        { "servwiat 10", "servwiat", "did you mean 'servwait'" },
        { "test-ports 5-1", "test-ports", "'5-1'" },
        { "count 1000", "count", "1000" },
        { "count 3000", "count", "power of 2" },
        { "listen bad:addr", "listen", "bad:addr" },
        { "servwait 0", "servwait", "'0'" },
        { "max-sessions x", "max-sessions", "'x'" },
        { "allow-auth 10.0.0.0/33", "allow-auth", "0..32" },
        { "led foo gpio 0 1", "led", "'foo'" },
        { "modes foo", "modes", "'foo'" },
        { "mlock maybe", "mlock", "'maybe'" },
        { "log-level loud", "log-level", "'loud'" },
        { "interface", "interface", "missing value" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public void BadLineIsReportedWithFileLineAndDirective(string line, string directive, string detail)
    {
        var text = "# header\nmax-padding 1500\n\n" + line + "\nrefwait 30\n";

        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse(text, Path));

        Assert.StartsWith($"{Path}:4: ", e.Message);
        Assert.Contains(directive, e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void OverrideErrorsAreReportedAsCommandLineWithTheirIndex()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse("servwait 30\n", Path, ["refwait 5", "max-padding -3"]));

        Assert.StartsWith("command line:2: max-padding", e.Message);
    }

    [Fact]
    public void OverridesWinOverTheFileAndListenReplacesTheFilesListens()
    {
        var (s, _) = ConfigFile.Parse("servwait 30\nlisten 192.0.2.1\nlisten 192.0.2.2\n", Path, ["servwait 5", "listen 127.0.0.1:8620"]);

        Assert.Equal(TimeSpan.FromSeconds(5), s.Limits.ServWait);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 8620)], s.Listen);
    }

    [Fact]
    public void ListenWithoutPortUsesTcp862()
    {
        var (s, _) = ConfigFile.Parse("listen 192.0.2.1\nlisten [::1]\n", Path);

        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.1"), 862), new IPEndPoint(IPAddress.IPv6Loopback, 862)], s.Listen);
    }

    // --- a directive given twice (first-use review, finding 1) ---

    [Theory]
    [InlineData("listen 127.0.77.10\nlisten 127.0.77.10\n")]
    [InlineData("listen 127.0.77.10\nlisten 127.0.77.10:862\n")] // the same once the default port is applied
    [InlineData("listen [::1]\nlisten [::1]:862\n")]
    public void TheSameListenAddressTwiceNamesBothLines(string text)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse("# probe\n" + text, Path));

        Assert.StartsWith($"{Path}:3: listen: ", e.Message);
        Assert.Contains($"first at {Path}:2", e.Message);
        Assert.Contains(":862 is given twice", e.Message);
    }

    [Fact]
    public void ListenAddressesThatDifferInPortOrAddressAreFine()
    {
        var (s, _) = ConfigFile.Parse("listen 127.0.77.10\nlisten 127.0.77.10:8620\nlisten 127.0.77.11\n", Path);

        Assert.Equal(3, s.Listen.Count);
    }

    [Fact]
    public void TheSameOwampListenAddressTwiceNamesBothLines()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse("owamp-listen 127.0.77.10\nservwait 5\nowamp-listen 127.0.77.10:861\n", Path));

        Assert.StartsWith($"{Path}:3: owamp-listen: ", e.Message);
        Assert.Contains($"first at {Path}:1", e.Message);
    }

    [Fact]
    public void OwampListenOnATwampListenAddressNamesBothLines()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse("owamp-listen 127.0.77.10:862\nlisten 127.0.77.10\n", Path));

        Assert.StartsWith($"{Path}:1: owamp-listen: TCP 127.0.77.10:862", e.Message);
        Assert.Contains($"({Path}:2)", e.Message);
    }

    [Fact]
    public void ASingleValuedDirectiveGivenAgainOverridesTheEarlierLine()
    {
        // As the images build their file: the commented defaults, one uncommented by the operator, then the board's
        // settings appended. The later line wins; a repeat must not stop the daemon.
        var (s, _) = ConfigFile.Parse("test-ports 20000-20100\nreflector-cpu 1\nlog-level debug\n# ==== board\ntest-ports 21000-21100\nreflector-cpu 3\nlog-level info\n", Path);

        Assert.Equal((21000, 21100), (s.TestPortLow, s.TestPortHigh));
        Assert.Equal(3, s.ReflectorCpu);
    }

    [Fact]
    public void WithOwampOffAnOwampListenOnTheTwampAddressIsNotAConflict()
    {
        // 'owamp no': the OWAMP addresses are never bound, so they cannot clash with TWAMP's.
        var (s, _) = ConfigFile.Parse("listen 127.0.0.1:862\nowamp no\nowamp-listen 127.0.0.1:862\n", Path);
        Assert.False(s.Owamp);
        Assert.Throws<ConfigException>(() => ConfigFile.Parse("listen 127.0.0.1:862\nowamp-listen 127.0.0.1:862\n", Path));
    }

    [Fact]
    public void ListDirectivesMayRepeatAndAddUp()
    {
        var (s, app) = ConfigFile.Parse("allow-unauth 192.0.2.0/24\nallow-unauth 198.51.100.0/24\nlight-allow 10.0.0.0/8\nlight-allow 10.1.0.0/16\n" +
                                        "allow-third-party 192.0.2.9\nallow-third-party 192.0.2.10\nled status gpio 0 17\nled fault gpio 0 18\n", Path);

        Assert.Equal(2, s.Limits.AllowedClients[TwampModes.Unauthenticated].Count);
        Assert.Equal(2, s.Limits.LightAllow.Count);
        Assert.Equal(2, s.Limits.AllowThirdParty.Count);
        Assert.Equal(2, app.Leds.Count);
    }

    [Fact]
    public void TheCommandLineStillOverridesASingleValuedDirectiveOfTheFile()
    {
        var (s, _) = ConfigFile.Parse("test-ports 20000-20100\n", Path, ["test-ports 21000-21100"], ["--test-ports 21000-21100"]);

        Assert.Equal((21000, 21100), (s.TestPortLow, s.TestPortHigh));
    }

    [Fact]
    public void TheSameListenFlagTwiceNamesBothFlags()
    {
        var e = Assert.Throws<ConfigException>(() =>
            ConfigFile.Parse("listen 192.0.2.1\n", Path, ["listen 127.0.0.1", "listen 127.0.0.1:862"], ["--listen 127.0.0.1", "--listen 127.0.0.1:862"]));

        Assert.StartsWith("--listen 127.0.0.1:862: 127.0.0.1:862 is given twice (first at --listen 127.0.0.1)", e.Message);
    }

    [Fact]
    public void AFlagErrorNamesTheFlagNotAPseudoLine()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse("servwait 30\n", Path, ["refwait 5", "max-padding -3"], ["--refwait 5", "--max-padding -3"]));

        Assert.StartsWith("--max-padding -3: '-3' is not a whole number in 0..8900", e.Message);
        Assert.DoesNotContain("command line", e.Message);
    }

    [Fact]
    public void AnLedRoleTwiceNamesBothLines()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse("led status gpio 0 17\nled fault gpio 0 18\nled status sysfs led0\n", Path));

        Assert.StartsWith($"{Path}:3: led: LED role 'status' is configured twice (first at {Path}:1)", e.Message);
    }
}
