using TwampProbe.Cli;

namespace TwampProbe.Tests.Cli;

public sealed class PingOptionsTests
{
    [Fact]
    public void TwpingLikeFlagsParse()
    {
        var o = PingOptions.Parse(["-c", "10", "-i", "0.01", "-s", "100", "-D", "46", "-m", "enc,auth", "-u", "alice", "-k", "f",
            "-P", "862", "--json", "-R", "192.0.2.1"]);

        Assert.Equal("192.0.2.1", o.Target);
        Assert.Equal(10, o.Count);
        Assert.Equal(0.01, o.IntervalSeconds);
        Assert.Equal(100, o.Padding);
        Assert.Equal(46, o.Dscp);
        Assert.Equal([TwampModes.Encrypted, TwampModes.Authenticated], o.Modes);
        Assert.Equal("alice", o.Identity);
        Assert.Equal("f", o.KeyFile);
        Assert.Equal(862, o.RequestedPort);
        Assert.True(o.Json);
        Assert.True(o.PerPacket);
        Assert.False(o.Light);
    }

    [Fact]
    public void DefaultsAreUnauthenticatedHundredPacketsAtTenPerSecond()
    {
        var o = PingOptions.Parse(["host"]);

        Assert.Equal(100, o.Count);
        Assert.Equal(0.1, o.IntervalSeconds);
        Assert.Equal([TwampModes.Unauthenticated], o.Modes);
        Assert.Null(o.Padding);
        Assert.False(o.Json);
    }

    [Fact]
    public void IdentityWithoutModesPrefersTheMostSecureMode()
    {
        var o = PingOptions.Parse(["-u", "alice", "-k", "f", "host"]);

        Assert.Equal([TwampModes.Encrypted, TwampModes.Authenticated, TwampModes.Mixed, TwampModes.Unauthenticated], o.Modes);
    }

    [Fact]
    public void AttachedValuesAndLightParse()
    {
        var o = PingOptions.Parse(["-c5", "--light", "host:862"]);

        Assert.Equal(5, o.Count);
        Assert.True(o.Light);
        Assert.Equal("host:862", o.Target);
    }

    [Theory]
    [InlineData("-D", "64", "host")]
    [InlineData("-c", "0", "host")]
    [InlineData("-s", "9000", "host")]
    [InlineData("-i", "abc", "host")]
    [InlineData("--bogus", "host")]
    [InlineData("-u", "alice", "host")]
    [InlineData("--light", "-m", "enc", "host")]
    [InlineData("-m", "weird", "host")]
    [InlineData("-c", "10")]
    [InlineData("host", "other")]
    [InlineData("host", "-c")]
    public void BadArgumentsAreUsageErrors(params string[] args)
    {
        Assert.Throws<UsageException>(() => PingOptions.Parse(args));
    }

    [Fact]
    public void UsageErrorNamesTheUnknownFlag()
    {
        var e = Assert.Throws<UsageException>(() => PingOptions.Parse(["--bogus", "host"]));

        Assert.Contains("--bogus", e.Message);
    }
}
