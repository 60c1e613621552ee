using TwampProbe.Cli;
using TwampProbe.Config;
using TwampProbe.Sessions;
using Xunit;

namespace TwampProbe.Tests.Config;

/// <summary><c>reflector-poll</c> and <c>reflector-threads</c>, in the file and as serve flags.</summary>
public sealed class ReflectorDirectivesTests
{
    const string Path = "/etc/twampprobe/twampprobe.conf";

    [Fact]
    public void DefaultsAreEpollAndOneThread()
    {
        var (server, _) = ConfigFile.Parse("", Path);
        Assert.Equal(ReflectorPollMode.Epoll, server.ReflectorPoll);
        Assert.Equal(1, server.ReflectorThreads);
    }

    [Theory]
    [InlineData("busy", ReflectorPollMode.Busy)]
    [InlineData("epoll", ReflectorPollMode.Epoll)]
    [InlineData("BUSY", ReflectorPollMode.Busy)]
    public void ReflectorPollIsRead(string value, ReflectorPollMode expected)
    {
        var (server, _) = ConfigFile.Parse($"reflector-poll {value}\n", Path);
        Assert.Equal(expected, server.ReflectorPoll);
    }

    [Fact]
    public void ReflectorThreadsIsRead()
    {
        var (server, _) = ConfigFile.Parse("reflector-cpu 1\nreflector-threads 3\n", Path);
        Assert.Equal(3, server.ReflectorThreads);
        Assert.Equal(1, server.ReflectorCpu);
    }

    [Theory]
    [InlineData("reflector-poll spin", "is not epoll or busy")]
    [InlineData("reflector-poll", "missing value")]
    [InlineData("reflector-poll busy epoll", "too many values")]
    [InlineData("reflector-threads 0", "is not a whole number in 1..64")]
    [InlineData("reflector-threads 65", "is not a whole number in 1..64")]
    [InlineData("reflector-threads two", "is not a whole number in 1..64")]
    public void BadValueNamesFileAndLine(string line, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse($"# comment\nmax-sessions 10\n{line}\n", Path));
        Assert.StartsWith($"{Path}:3: {line.Split(' ')[0]}: ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains("expected:", e.Message);
    }

    [Fact]
    public void ServeFlagsSetPollAndThreads()
    {
        var options = ServeCommand.ParseOptions(["--reflector-poll", "busy", "--reflector-threads", "2"]);
        var (server, _) = ServeCommand.Load(options with { ConfigPath = null });
        Assert.Equal(ReflectorPollMode.Busy, server.ReflectorPoll);
        Assert.Equal(2, server.ReflectorThreads);
    }

    [Fact]
    public void ServeFlagOverridesTheFile()
    {
        var (server, _) = ConfigFile.Parse("reflector-poll busy\nreflector-threads 4\n", Path, ["reflector-poll epoll"]);
        Assert.Equal(ReflectorPollMode.Epoll, server.ReflectorPoll);
        Assert.Equal(4, server.ReflectorThreads);
    }

    [Fact]
    public void BadServeFlagIsNamedAsTheCommandLine()
    {
        var options = ServeCommand.ParseOptions(["--reflector-threads", "100"]);
        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(options with { ConfigPath = null }));
        Assert.StartsWith("command line:1: reflector-threads: ", e.Message);
    }
}
