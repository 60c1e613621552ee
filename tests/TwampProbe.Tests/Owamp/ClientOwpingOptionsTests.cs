using TwampProbe.Cli;

namespace TwampProbe.Tests.Owamp;

/// <summary><c>twampprobe owping</c> command-line parsing: perfSONAR owping's flags and defaults.</summary>
public sealed class ClientOwpingOptionsTests
{
    [Fact]
    public void OwpingFlagsParse()
    {
        var o = OwpingOptions.Parse(["-c", "10", "-i", "0.01f", "-s", "100", "-D", "EF", "-L", "5", "-m", "enc,auth",
            "-u", "alice", "-k", "keys.pfs", "-S", "192.0.2.7", "-R", "--json", "--zero-padding", "192.0.2.1:8610"]);
        Assert.Equal("192.0.2.1:8610", o.Target);
        Assert.Equal(10, o.Count);
        Assert.Equal(0.01, o.IntervalSeconds);
        Assert.False(o.ExponentialInterval);
        Assert.Equal(100, o.Padding);
        Assert.Equal(46, o.Dscp);
        Assert.Equal(5, o.TimeoutSeconds);
        Assert.Equal([TwampModes.Encrypted, TwampModes.Authenticated], o.Modes);
        Assert.Equal("alice", o.Identity);
        Assert.Equal("keys.pfs", o.KeyFile);
        Assert.Equal(IPAddress.Parse("192.0.2.7"), o.Source);
        Assert.True(o.PerPacket && o.Json && o.ZeroPadding);
        Assert.True(o.To && o.From);
    }

    [Fact]
    public void DefaultsAreOwpings()
    {
        var o = OwpingOptions.Parse(["host"]);
        Assert.Equal(100, o.Count);
        Assert.Equal(0.1, o.IntervalSeconds);
        Assert.True(o.ExponentialInterval); // owping: -i is the mean of an exponential schedule
        Assert.Equal(0, o.Padding);
        Assert.Equal(2, o.TimeoutSeconds);
        Assert.Equal([TwampModes.Unauthenticated], o.Modes);
        Assert.True(o.To && o.From); // both directions at once
        Assert.False(o.Json || o.PerPacket);
    }

    [Theory]
    [InlineData("0.05", true)]
    [InlineData("0.05e", true)]
    [InlineData("0.05E", true)]
    [InlineData("0.05f", false)]
    public void PlainIntervalIsExponentialAndFSuffixIsFixed(string value, bool exponential)
    {
        var o = OwpingOptions.Parse(["-i", value, "host"]);
        Assert.Equal(0.05, o.IntervalSeconds);
        Assert.Equal(exponential, o.ExponentialInterval);
    }

    [Theory]
    [InlineData("-t", true, false)]
    [InlineData("-f", false, true)]
    public void ToAndFromSelectOneDirection(string flag, bool to, bool from)
    {
        var o = OwpingOptions.Parse([flag, "host"]);
        Assert.Equal(to, o.To);
        Assert.Equal(from, o.From);
    }

    [Fact]
    public void ToAndFromTogetherMeanBoth()
    {
        var o = OwpingOptions.Parse(["-t", "-f", "host"]);
        Assert.True(o.To && o.From);
    }

    [Fact]
    public void IdentityWithoutModesPrefersEncThenAuthThenUnauthAndNeverMixed()
    {
        var o = OwpingOptions.Parse(["-u", "alice", "-k", "f", "host"]);
        Assert.Equal([TwampModes.Encrypted, TwampModes.Authenticated, TwampModes.Unauthenticated], o.Modes);
    }

    [Theory]
    [InlineData("-m", "mixed", "-u", "a", "-k", "f", "host")]   // OWAMP has no mode 8
    [InlineData("-m", "enc", "host")]                           // a secure mode needs a key
    [InlineData("-u", "alice", "host")]                         // -u needs -k
    [InlineData("-k", "f", "host")]                             // -k needs -u: never silently unauthenticated
    [InlineData("-c", "0", "host")]
    [InlineData("-D", "64", "host")]
    [InlineData("-i", "0e", "host")]
    [InlineData("-i", "0f", "host")]
    [InlineData("-i", "x", "host")]
    [InlineData("-L", "0", "host")]
    [InlineData("-s", "9000", "host")]
    [InlineData("-S", "1.2.3", "host")]
    [InlineData("-4", "-S", "::1", "host")]
    [InlineData("--light", "host")]
    [InlineData("host", "other")]
    [InlineData("-c", "5")]
    public void BadArgumentsAreUsageErrors(params string[] args) =>
        Assert.Throws<UsageException>(() => OwpingOptions.Parse(args));

    [Fact]
    public void ReceiverPortCanAskForTheWellKnownOwampTestPort()
    {
        Assert.Equal(861, OwpingOptions.Parse(["--receiver-port", "861", "host"]).ReceiverPort);
        Assert.Equal(0, OwpingOptions.Parse(["host"]).ReceiverPort);
        Assert.Throws<UsageException>(() => OwpingOptions.Parse(["--receiver-port", "0", "host"]));
    }

    [Fact]
    public void HelpNeedsNoHost() => Assert.True(OwpingOptions.Parse(["--help"]).Help);

    [Theory]
    [InlineData("E", new[] { TwampModes.Encrypted })]
    [InlineData("A", new[] { TwampModes.Authenticated })]
    [InlineData("O", new[] { TwampModes.Unauthenticated })]
    [InlineData("AEO", new[] { TwampModes.Encrypted, TwampModes.Authenticated, TwampModes.Unauthenticated })]
    [InlineData("oa", new[] { TwampModes.Authenticated, TwampModes.Unauthenticated })]
    public void OwpingsAuthModeLettersSelectTheModesMostSecureFirst(string letters, TwampModes[] modes)
    {
        Assert.Equal(modes, OwpingOptions.Parse(["-A", letters, "-u", "alice", "-k", "f", "host"]).Modes);
        Assert.Throws<UsageException>(() => OwpingOptions.Parse(["-A", "X", "host"]));
    }

    [Theory]
    [InlineData("-a", "99", "p99")]
    [InlineData("-M", "", "--json")]
    [InlineData("-v", "", "-R")]
    [InlineData("-H", "EF", "-D")]
    [InlineData("-B", "eth0", "-S")]
    public void OwpingFlagsThisClientLacksSayWhatToUseInstead(string flag, string value, string instead)
    {
        string[] args = value.Length > 0 ? [flag, value, "host"] : [flag, "host"];
        var e = Assert.Throws<UsageException>(() => OwpingOptions.Parse(args));
        Assert.Contains($"{flag} (perfSONAR owping's) is not supported here", e.Message);
        Assert.Contains(instead, e.Message);
    }

    [Theory]
    [InlineData("192.0.2.1", 861)]
    [InlineData("192.0.2.1:8861", 8861)]
    [InlineData("owamp.example.net:18861", 18861)]
    [InlineData("owamp.example.net", 861)]
    [InlineData("[2001:db8::1]:8861", 8861)]
    [InlineData("2001:db8::1", 861)]
    [InlineData("[fe80::1%eth0]", 861)]
    public void TheMessagesNameTheControlPortOfTheTarget(string target, int port) =>
        Assert.Equal(port, OwpingCommand.ControlPort(target));
}
