using System.Net.Sockets;
using System.Runtime.InteropServices;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Owamp.Client;
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
        Program.RequireCrypto();
        return ClientCommand.Run("OWAMP", ControlPort(options.Target), options.Target, ct => RunAsync(options, Console.Out, ct, Console.Error));
    }

    /// <summary>The OWAMP-Control port HOST[:PORT] names (861 without one), for the messages.</summary>
    internal static int ControlPort(string target) => ClientCommand.ControlPort(target, ServerSettings.OwampControlPort);

    /// <param name="progress">Where owping's "Approximately N seconds until results available" goes (stderr: the report stays alone on stdout).</param>
    public static async Task<int> RunAsync(OwpingOptions o, TextWriter output, CancellationToken ct, TextWriter? progress = null)
    {
        var server = PingTarget.Resolve(o.Target, ServerSettings.OwampControlPort, o.Family);
        PingTarget.CheckSource(o.Source, server, o.Target);
        using var clock = new ClockState(TimeSpan.FromSeconds(1));
        var keys = ClientKeys.Load(o.KeyFile, o.Identity);
        var controlSource = o.Source is { } s ? LinkLocal.WithScope(s, server.Address) : null;
        using var client = await OwampControlClient.ConnectAsync(server, TimeSpan.FromSeconds(10), ct, controlSource).ConfigureAwait(false);
        using (var setupTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            setupTimeout.CancelAfter(o.SetupTimeout);
            await ClientCommand.SetUp(client.SetupAsync(o.Modes, o.Identity, keys, o.MaxCount, setupTimeout.Token), ct, o.SetupTimeout, "OWAMP", server).ConfigureAwait(false);
        }
        var measurement = new OwampMeasurement(client, new OwampMeasurementOptions
        {
            SetupTimeout = o.SetupTimeout,
            Count = o.Count, Interval = TimeSpan.FromSeconds(o.IntervalSeconds), Exponential = o.ExponentialInterval,
            Padding = (uint)o.Padding, Dscp = o.Dscp, Timeout = TimeSpan.FromSeconds(o.TimeoutSeconds),
            To = o.To, From = o.From, ZeroPadding = o.ZeroPadding, Source = o.Source, ReceiverPort = o.ReceiverPort,
        }, clock)
        {
            Started = progress is null ? null : wait =>
            {
                progress.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Approximately {wait.TotalSeconds:0.0} seconds until results available"));
                progress.Flush();
            },
        };
        var (send, receive) = await measurement.RunAsync(ct).ConfigureAwait(false);
        return new OwpingReport(o, output).Print(client.Mode, server, send, receive, clock);
    }
}
