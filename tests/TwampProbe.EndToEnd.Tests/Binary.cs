using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>Locates and runs the published twampprobe binary.</summary>
public static partial class Binary
{
    public static string Path
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("TWAMPPROBE_BIN");
            if (!string.IsNullOrEmpty(env)) return env;
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "TwampProbe.sln"))) dir = dir.Parent;
            var path = System.IO.Path.Combine(dir?.FullName ?? ".", "out", "linux-x64", "twampprobe");
            if (!File.Exists(path)) throw new InvalidOperationException($"published binary not found at {path}: run 'make publish' (make test does)");
            return path;
        }
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string args, int timeoutMs = 60_000, string? workDir = null) => RunFile(Path, args, timeoutMs, workDir);

    public static Result RunFile(string file, string args, int timeoutMs = 60_000, string? workDir = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs)) { p.Kill(); throw new TimeoutException($"{file} {args} did not finish in {timeoutMs} ms"); }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    // TCP ports for the servers' control listeners come from 12000-19999, under the ephemeral ports: a
    // port the kernel picked for port 0 and that was then closed can be handed to any outgoing
    // connection or port-0 socket of another test before the server binds it. TCP ports are a space of
    // their own: the UDP ranges below do not collide with these.
    const int TcpFloor = 12000, TcpSpan = 8000;
    static readonly int _tcpStart = Environment.ProcessId % 40 * 200;
    static int _tcpNext;

    /// <summary>
    /// A TCP port, free right now on loopback, that no other test of this run is given and that the
    /// kernel never hands out as an ephemeral port (so it stays free until the server binds it).
    /// </summary>
    public static int FreeTcpPort(AddressFamily family = AddressFamily.InterNetwork)
    {
        for (int attempt = 0; attempt < TcpSpan; attempt++)
        {
            int port = TcpFloor + (_tcpStart + Interlocked.Increment(ref _tcpNext)) % TcpSpan;
            try
            {
                using var l = new TcpListener(family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, port);
                l.Start();
                return port;
            }
            catch (SocketException) { } // taken by something outside this run: the next one
        }
        throw new InvalidOperationException($"no free TCP port in {TcpFloor}-{TcpFloor + TcpSpan - 1}");
    }

    // Test-port ranges start in 20000-31999 (and end below 32100), under the kernel's ephemeral ports
    // (32768-60999): the tests run in parallel, and a client's ephemeral socket inside another test's
    // range would take a port that test binds exactly (ping -P lo) or receive the junk it sends there.
    const int RangeFloor = 20000, RangeSpan = 12000;
    static readonly int _rangeStart = Environment.ProcessId % 60 * 200;
    static int _rangeNext;

    /// <summary>A block of UDP ports for one server's test-port range, unique within this test run.</summary>
    public static (int Low, int High) PortRange(int size = 50)
    {
        int offset = Interlocked.Add(ref _rangeNext, size) - size;
        int low = RangeFloor + (_rangeStart + offset) % RangeSpan;
        return (low, low + size - 1);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    public static void Signal(Process p, int signal) => kill(p.Id, signal);
    public const int SIGHUP = 1, SIGINT = 2, SIGTERM = 15;

    public static string WriteKeyFile(string dir, string identity, string passphrase, string mode = "600")
    {
        var path = System.IO.Path.Combine(dir, "keys.pfs");
        File.WriteAllText(path, $"# test keys\n{identity}\t{Convert.ToHexString(Encoding.UTF8.GetBytes(passphrase)).ToLowerInvariant()}\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));
        return path;
    }
}
