using System.Net.Sockets;
using System.Text;
using TwampProbe.Diagnostics;

namespace TwampProbe.Tests.Diagnostics;

public sealed class SyslogSinkTests
{
    [Fact]
    public void LinesReachTheSyslogSocketWithDaemonFacilityAndSeverity()
    {
        var path = Path.Combine(Path.GetTempPath(), $"twampprobe-log-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        using var server = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(path));
        server.ReceiveTimeout = 2000;
        try
        {
            using var sink = new SyslogSink(path);
            sink.Write(LogLevel.Warn, "clock: lost synchronization");
            var buffer = new byte[512];
            int n = server.Receive(buffer);
            // LOG_DAEMON (3) * 8 + LOG_WARNING (4) = 28.
            Assert.Equal($"<28>twampprobe[{Environment.ProcessId}]: clock: lost synchronization", Encoding.UTF8.GetString(buffer, 0, n));
            sink.Write(LogLevel.Error, "x");
            n = server.Receive(buffer);
            Assert.StartsWith("<27>", Encoding.UTF8.GetString(buffer, 0, n));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MissingSyslogDaemonDoesNotThrow()
    {
        using var sink = new SyslogSink(Path.Combine(Path.GetTempPath(), $"no-syslog-{Guid.NewGuid():N}.sock"));
        Assert.Null(Record.Exception(() => sink.Write(LogLevel.Info, "nobody listens")));
    }
}
