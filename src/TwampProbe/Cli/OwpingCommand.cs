using System.Net.Sockets;
using System.Runtime.InteropServices;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Owamp.Client;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Time;

namespace TwampProbe.Cli;

/// <summary>
/// <c>twampprobe owping</c>: OWAMP Control-Client (RFC 4656), measuring one-way delay to the server
/// (its records fetched with Fetch-Session) and from it (received here), both at once by default.
/// Exit codes as <c>ping</c>.
/// </summary>
public static class OwpingCommand
{
    public static int Run(string[] args)
    {
        var options = OwpingOptions.Parse(args);
        if (options.Help)
        {
            Console.Out.Write(OwpingOptions.Usage);
            return ExitCode.Ok;
        }
        using var cts = new CancellationTokenSource();
        // SIGINT and SIGTERM end the streams early; the stop and the fetch still run, so the report covers
        // what was measured. A second signal is not caught.
        void Stop(PosixSignalContext c)
        {
            if (cts.IsCancellationRequested) return;
            c.Cancel = true;
            cts.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            return RunAsync(options, Console.Out, cts.Token).GetAwaiter().GetResult();
        }
        catch (KeyFileException e) { return Fail($"key file: {e.Message}", ExitCode.Config); }
        catch (ConfigException e) { return Fail(e.Message, ExitCode.Config); }
        catch (ServerRefusedException e) { return Fail(e.Message, ExitCode.Refused); }
        catch (ControlProtocolException e) { return Fail($"the server broke the OWAMP-Control protocol: {e.Message}", ExitCode.Refused); }
        catch (ControlConnectionClosedException) { return Fail("the server closed the control connection (connection limit, or it does not accept this client)", ExitCode.Network); }
        catch (PingNetworkException e) { return Fail(e.Message, ExitCode.Network); }
        catch (SocketException e) { return Fail(Describe(e, options), ExitCode.Network); }
        catch (IOException e) when (e.InnerException is SocketException s) { return Fail($"control connection lost: {Describe(s, options)}", ExitCode.Network); }
        catch (IOException e) { return Fail($"control connection lost: {ErrorText.Describe(e)}", ExitCode.Network); }
        catch (OperationCanceledException) { return Fail("interrupted", ExitCode.Network); }
    }

    static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"twampprobe: {message}");
        return code;
    }

    static string Describe(SocketException e, OwpingOptions o) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"cannot connect to {o.Target}: connection refused — is an OWAMP server listening there (TCP 861)?",
        SocketError.TimedOut => $"cannot connect to {o.Target}: timed out — check the address and firewalls (TCP 861)",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"cannot reach {o.Target}: {ErrorText.Describe(e)}",
        SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted => ErrorText.Describe(e),
        _ => $"network error talking to {o.Target}: {ErrorText.Describe(e)}",
    };

    public static async Task<int> RunAsync(OwpingOptions o, TextWriter output, CancellationToken ct)
    {
        var server = PingTarget.Resolve(o.Target, ServerSettings.OwampControlPort, o.Family);
        PingTarget.CheckSource(o.Source, server, o.Target);
        using var clock = new ClockState(TimeSpan.FromSeconds(1));
        KeyFile keys = o.KeyFile is null ? KeyFile.Empty : LoadKeys(o.KeyFile);
        if (o.Identity is not null && !keys.TryGetPassphrase(o.Identity, out _))
            throw new ConfigException($"{o.KeyFile}: no key for identity '{o.Identity}' in this key file: add a line '{o.Identity} HEX-PASSPHRASE' or check -u");
        var controlSource = o.Source is { } s ? LinkLocal.WithScope(s, server.Address) : null;
        using var client = await OwampControlClient.ConnectAsync(server, TimeSpan.FromSeconds(10), ct, controlSource).ConfigureAwait(false);
        using (var setupTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            setupTimeout.CancelAfter(TimeSpan.FromSeconds(30));
            await client.SetupAsync(o.Modes, o.Identity, keys, o.MaxCount, setupTimeout.Token).ConfigureAwait(false);
        }
        var measurement = new OwampMeasurement(client, new OwampMeasurementOptions
        {
            Count = o.Count, Interval = TimeSpan.FromSeconds(o.IntervalSeconds), Exponential = o.ExponentialInterval,
            Padding = (uint)o.Padding, Dscp = o.Dscp, Timeout = TimeSpan.FromSeconds(o.TimeoutSeconds),
            To = o.To, From = o.From, ZeroPadding = o.ZeroPadding, Source = o.Source, ReceiverPort = o.ReceiverPort,
        }, clock);
        var (send, receive) = await measurement.RunAsync(ct).ConfigureAwait(false);
        return new OwpingReport(o, output).Print(client.Mode, server, send, receive, clock);
    }

    /// <summary>Reads the key file, turning what the OS says about it into a sentence that names the file.</summary>
    static KeyFile LoadKeys(string path)
    {
        if (Directory.Exists(path)) throw new ConfigException($"{path}: is a directory, not a key file (-k)");
        try
        {
            using var probe = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot read the key file (-k): {ErrorText.Describe(e, path)}");
        }
        return KeyFiles.Load(path, requirePrivate: false);
    }
}
