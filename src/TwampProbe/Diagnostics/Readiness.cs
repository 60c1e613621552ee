using System.Net.Sockets;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace TwampProbe.Diagnostics;

/// <summary>
/// Tells the service manager that the daemon is ready, i.e. its control and test sockets are bound
/// and listening, so that "started" means "answers": the BusyBox init script reads a line from a
/// descriptor it hands over (<c>--ready-fd N</c>, the s6 notification-fd convention: "READY\n",
/// then the descriptor is closed), and systemd's <c>Type=notify</c> gets <c>READY=1</c> on
/// <c>$NOTIFY_SOCKET</c> (sd_notify(3); <c>STOPPING=1</c> when the daemon stops).
/// Neither is required: without them this does nothing.
/// </summary>
public sealed class Readiness : IDisposable
{
    readonly SafeFileHandle? _fd;
    readonly string? _notifySocket;
    readonly Action<string> _warn;

    Readiness(SafeFileHandle? fd, string? notifySocket, Action<string> warn)
    {
        _fd = fd;
        _notifySocket = string.IsNullOrEmpty(notifySocket) ? null : notifySocket;
        _warn = warn;
    }

    /// <summary>
    /// <paramref name="readyFd"/>: the descriptor number given with <c>--ready-fd</c> (or null);
    /// it must be open and writable, else the command line is wrong (checked at start-up, before
    /// anything is bound). <paramref name="notifySocket"/>: the value of <c>$NOTIFY_SOCKET</c>.
    /// </summary>
    public static Readiness Create(int? readyFd, string? notifySocket, Action<string> warn)
    {
        SafeFileHandle? fd = null;
        if (readyFd is int n)
        {
            if (n < 3) throw new ArgumentException($"--ready-fd {n}: 0, 1 and 2 are stdin, stdout and stderr; use 3 or above");
            if (!Linux.Security.Descriptors.IsOpenForWriting(n))
                throw new ArgumentException($"--ready-fd {n}: descriptor {n} is not open for writing (start the daemon with e.g. '3>FIFO')");
            fd = new SafeFileHandle(n, ownsHandle: true);
        }
        return new Readiness(fd, notifySocket, warn);
    }

    /// <summary>Sockets are bound and listening: tell whoever waits. Idempotent.</summary>
    public void Ready()
    {
        if (_fd is { IsClosed: false })
        {
            try
            {
                using var stream = new FileStream(_fd, FileAccess.Write, bufferSize: 0);
                stream.Write("READY\n"u8);
            }
            catch (IOException e) { _warn($"--ready-fd: {e.Message} (nobody waits for readiness)"); }
            finally { _fd.Dispose(); }
        }
        Notify($"READY=1\nMAINPID={Environment.ProcessId}\nSTATUS=serving");
    }

    /// <summary>The daemon begins to stop.</summary>
    public void Stopping() => Notify("STOPPING=1");

    void Notify(string state)
    {
        if (_notifySocket is null) return;
        // sd_notify(3): a path, or '@' for the abstract namespace.
        string path = _notifySocket[0] == '@' ? "\0" + _notifySocket[1..] : _notifySocket;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) { _warn($"NOTIFY_SOCKET {_notifySocket}: {e.Message}"); }
    }

    public void Dispose() => _fd?.Dispose();
}
