using System.Net.Sockets;
using System.Text;

namespace TwampProbe.Diagnostics;

/// <summary>
/// Sends log lines to the local syslog daemon over its datagram socket (/dev/log), facility
/// LOG_DAEMON, in the traditional "&lt;PRI&gt;tag[pid]: message" form (RFC 3164 §4.1.3 as syslogd
/// accepts locally). A missing or full syslog never blocks or stops the daemon.
/// </summary>
public sealed class SyslogSink : IDisposable
{
    const int Daemon = 3;
    readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
    readonly UnixDomainSocketEndPoint _path;
    readonly string _prefix = $"twampprobe[{Environment.ProcessId}]: ";

    public SyslogSink(string path = "/dev/log") => _path = new UnixDomainSocketEndPoint(path);

    public static int Severity(LogLevel level) => level switch
    {
        LogLevel.Debug => 7, LogLevel.Info => 6, LogLevel.Warn => 4, _ => 3,
    };

    public void Write(LogLevel level, string message)
    {
        var text = $"<{Daemon * 8 + Severity(level)}>{_prefix}{message}";
        try { _socket.SendTo(Encoding.UTF8.GetBytes(text), _path); }
        catch (SocketException) { }
    }

    public void Dispose() => _socket.Dispose();
}
