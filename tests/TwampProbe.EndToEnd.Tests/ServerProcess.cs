using System.Collections.Concurrent;
using System.Diagnostics;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>A running <c>twampprobe serve</c>, its log lines, and a clean stop.</summary>
public sealed class ServerProcess : IDisposable
{
    readonly Process _process;
    readonly ConcurrentQueue<string> _log = new();
    readonly TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ControlPort { get; }
    /// <summary>The OWAMP-Control port (ephemeral, so tests never take TCP 861); 0 when the test gives its own owamp options.</summary>
    public int OwampPort { get; }
    public string Address { get; }
    public string Endpoint => Address.Contains(':') ? $"[{Address}]:{ControlPort}" : $"{Address}:{ControlPort}";
    public IEnumerable<string> Log => _log;
    public string LogText => string.Join("\n", _log);
    public Process Process => _process;

    public ServerProcess(string args, string address = "127.0.0.1", int? controlPort = null, string? prefix = null, bool waitReady = true,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        Address = address;
        ControlPort = controlPort ?? Binary.FreeTcpPort(address.Contains(':') ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork);
        var listen = address.Contains(':') ? $"[{address}]:{ControlPort}" : $"{address}:{ControlPort}";
        if (!args.Contains("owamp"))
        {
            OwampPort = Binary.FreeTcpPort(address.Contains(':') ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork);
            listen += address.Contains(':') ? $" --owamp-listen [{address}]:{OwampPort}" : $" --owamp-listen {address}:{OwampPort}";
        }
        var file = prefix is null ? Binary.Path : prefix.Split(' ')[0];
        var full = prefix is null ? $"serve --listen {listen} {args}" : $"{string.Join(' ', prefix.Split(' ')[1..])} {Binary.Path} serve --listen {listen} {args}";
        var psi = new ProcessStartInfo(file, full) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) { _ready.TrySetResult(false); return; }
            _log.Enqueue(e.Data);
            if (e.Data.Contains("ready:")) _ready.TrySetResult(true);
        };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        if (waitReady && !(_ready.Task.Wait(TimeSpan.FromSeconds(20)) && _ready.Task.Result))
            throw new InvalidOperationException($"server did not become ready:\n{LogText}");
    }

    public bool WaitForLog(Func<string, bool> match, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_log.Any(match)) return true;
            Thread.Sleep(20);
        }
        return false;
    }

    /// <summary>SIGTERM, and the exit code (the process must exit by itself).</summary>
    public int Stop(int timeoutMs = 3000)
    {
        if (_process.HasExited) return _process.ExitCode;
        Binary.Signal(_process, Binary.SIGTERM);
        if (!_process.WaitForExit(timeoutMs)) { _process.Kill(); throw new TimeoutException($"server did not exit after SIGTERM:\n{LogText}"); }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(); _process.WaitForExit(); } } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
