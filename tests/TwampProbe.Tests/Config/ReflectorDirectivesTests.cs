using TwampProbe.Cli;
using TwampProbe.Config;
using TwampProbe.Sessions;

namespace TwampProbe.Tests.Config;

/// <summary><c>reflector-poll</c>, <c>reflector-threads</c> and <c>reflector-batch-us</c>, in the file and as serve flags.</summary>
public sealed class ReflectorDirectivesTests
{
    const string Path = "/etc/twampprobe/twampprobe.conf";

    [Fact]
    public void DefaultsAreEpollAndOneThread()
    {
        var (server, _) = ConfigFile.Parse("", Path);
        Assert.Equal(ReflectorPollMode.Epoll, server.ReflectorPoll);
        Assert.Equal(1, server.ReflectorThreads);
        Assert.Equal(2_000, server.ReflectorBatchBoundNs);
        Assert.Equal(ReflectorOptions.DefaultT3BatchBoundNs, new ReflectorOptions().T3BatchBoundNs);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("25", 25_000)]
    [InlineData("1000", 1_000_000)]
    public void ReflectorBatchIsReadInMicroseconds(string value, long expectedNs)
    {
        var (server, _) = ConfigFile.Parse($"reflector-batch-us {value}\n", Path);
        Assert.Equal(expectedNs, server.ReflectorBatchBoundNs);
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
    [InlineData("reflector-batch-us -1", "is not a whole number in 0..1000")]
    [InlineData("reflector-batch-us 1001", "is not a whole number in 0..1000")]
    [InlineData("reflector-batch-us 2.5", "is not a whole number in 0..1000")]
    [InlineData("reflector-batch-us", "missing value")]
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
        var options = ServeCommand.ParseOptions(["--reflector-poll", "busy", "--reflector-threads", "2", "--reflector-batch-us", "0"]);
        var (server, _) = ServeCommand.Load(options with { ConfigPath = null });
        Assert.Equal(ReflectorPollMode.Busy, server.ReflectorPoll);
        Assert.Equal(2, server.ReflectorThreads);
        Assert.Equal(0, server.ReflectorBatchBoundNs);
    }

    [Fact]
    public void TheReflectorThreadsGetWhatTheFileSays()
    {
        var (server, _) = ConfigFile.Parse("reflector-poll busy\nreflector-batch-us 40\nreflector-cpu 1\nsocket-buffer 65536\n", Path);
        var options = ServeCommand.ReflectorOptionsFor(server, null);
        Assert.Equal(40_000, options.T3BatchBoundNs);
        Assert.Equal(ReflectorPollMode.Busy, options.Poll);
        Assert.Equal(1, options.Cpu);
        Assert.Equal(65536, options.SocketBufferBytes);
    }

    [Fact]
    public void CheckConfigShowsTheReflectorThreads()
    {
        var (defaults, app) = ConfigFile.Parse("", Path);
        Assert.Contains("  reflector    1 thread, poll epoll, batch bound 2 µs", CheckConfigCommand.Describe(defaults, app));
        var (server, app2) = ConfigFile.Parse("reflector-cpu 2\nreflector-threads 2\nreflector-poll busy\nsched-fifo 10\nreflector-batch-us 0\n", Path);
        Assert.Contains("  reflector    2 threads from CPU 2, poll busy, SCHED_FIFO 10, batch bound 0 µs", CheckConfigCommand.Describe(server, app2));
    }

    [Fact]
    public void ServeFlagOverridesTheFile()
    {
        var (server, _) = ConfigFile.Parse("reflector-poll busy\nreflector-threads 4\n", Path, ["reflector-poll epoll"]);
        Assert.Equal(ReflectorPollMode.Epoll, server.ReflectorPoll);
        Assert.Equal(4, server.ReflectorThreads);
    }

    [Fact]
    public void BadServeFlagIsNamedAsTyped()
    {
        var options = ServeCommand.ParseOptions(["--reflector-threads", "100"]);
        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(options with { ConfigPath = null }));
        Assert.StartsWith("--reflector-threads 100: '100' is not a whole number in 1..64", e.Message);
    }
}
