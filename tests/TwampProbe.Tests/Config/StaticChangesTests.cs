using TwampProbe.Cli;
using TwampProbe.Config;

namespace TwampProbe.Tests.Config;

/// <summary>
/// SIGHUP applies the reloadable directives; for a static one that changed, the log names it as needing a
/// restart (ServeCommand.Reload), so that an operator who edits socket-buffer or user and reloads is told.
/// </summary>
public sealed class StaticChangesTests
{
    const string Path = "/etc/twampprobe/twampprobe.conf";

    static List<string> Changes(string before, string after)
    {
        var (a, aApp) = ConfigFile.Parse(before, Path);
        var (b, bApp) = ConfigFile.Parse(after, Path);
        return ServeCommand.StaticChanges(a, aApp, b, bApp);
    }

    [Theory]
    [InlineData("reflector-cpu 1\n", "reflector-cpu")]
    [InlineData("sched-fifo 10\n", "sched-fifo")]
    [InlineData("mlock yes\n", "mlock")]
    [InlineData("socket-buffer 8388608\n", "socket-buffer")]
    [InlineData("user nobody\n", "user")]
    [InlineData("test-ports 20000-20100\n", "test-ports")]
    [InlineData("reflector-poll busy\n", "reflector-poll")]
    [InlineData("listen 127.0.0.1:8620\n", "listen")]
    public void AChangedStaticDirectiveIsNamed(string line, string name) =>
        Assert.Equal([name], Changes("max-sessions 10\n", "max-sessions 10\n" + line));

    [Fact]
    public void ReloadableChangesAndAnUnchangedFileNameNothing()
    {
        Assert.Empty(Changes("max-sessions 10\nuser nobody\nmlock yes\n", "max-sessions 20\nuser nobody\nmlock yes\nrefwait 60\nlog-level debug\n"));
        Assert.Empty(Changes("", ""));
    }
}
