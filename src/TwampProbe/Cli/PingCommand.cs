using System.Net;
using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Diagnostics;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Cli;

/// <summary><c>twampprobe ping</c>: Control-Client + Session-Sender, or a TWAMP Light sender.</summary>
public static class PingCommand
{
    public static int Run(string[] args)
    {
        var options = PingOptions.Parse(args);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        try
        {
            return RunAsync(options, Console.Out, cts.Token).GetAwaiter().GetResult();
        }
        catch (KeyFileException e) { Console.Error.WriteLine($"twampprobe: key file: {e.Message}"); return ExitCode.Config; }
        catch (ConfigException e) { Console.Error.WriteLine($"twampprobe: {e.Message}"); return ExitCode.Config; }
        catch (ServerRefusedException e) { Console.Error.WriteLine($"twampprobe: {e.Message}"); return ExitCode.Refused; }
        catch (ControlProtocolException e) { Console.Error.WriteLine($"twampprobe: the server broke the TWAMP-Control protocol: {e.Message}"); return ExitCode.Refused; }
        catch (ControlConnectionClosedException) { Console.Error.WriteLine($"twampprobe: the server closed the control connection (connection limit, or it does not accept this client)"); return ExitCode.Network; }
        catch (SocketException e) { Console.Error.WriteLine($"twampprobe: {Describe(e, options)}"); return ExitCode.Network; }
        catch (IOException e) { Console.Error.WriteLine($"twampprobe: control connection lost: {e.Message}"); return ExitCode.Network; }
        catch (OperationCanceledException) { Console.Error.WriteLine("twampprobe: interrupted"); return ExitCode.Network; }
    }

    static string Describe(SocketException e, PingOptions o) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"cannot connect to {o.Target}: connection refused — is a TWAMP server listening there (TCP 862)?",
        SocketError.TimedOut => $"cannot connect to {o.Target}: timed out — check the address and firewalls (TCP 862)",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"cannot reach {o.Target}: {e.Message}",
        _ => $"network error talking to {o.Target}: {e.Message}",
    };

    public static async Task<int> RunAsync(PingOptions o, TextWriter output, CancellationToken ct)
    {
        if (!EndpointText.TryParse(o.Target, ServerSettings.ControlPort, out var server, out var error))
            throw new UsageException(error!);
        using var clock = new ClockState(TimeSpan.FromSeconds(1));
        var senderOptions = new SenderOptions
        {
            Count = o.Count, Interval = TimeSpan.FromSeconds(o.IntervalSeconds), Padding = o.Padding, ZeroPadding = o.ZeroPadding,
            Dscp = o.Dscp, Ecn = o.Ecn, Ttl = o.Ttl, LossTimeout = TimeSpan.FromSeconds(o.LossTimeoutSeconds), PerPacket = o.PerPacket, Cpu = o.Cpu,
        };
        var report = new PingReport(o, output);

        if (o.Light)
        {
            var local = o.Source is { } source ? LinkLocal.WithScope(source, server.Address) : server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
            using var light = new SessionSender(local, senderOptions, clock);
            light.Target(server, null, default, light: true);
            if (o.PerPacket) light.OnReply = report.PerPacket;
            await Task.Run(() => light.Run(ct), ct).ConfigureAwait(false);
            return report.Print(light, TwampModes.Unauthenticated, "light", server, null, clock);
        }

        KeyFile keys = KeyFile.Empty;
        if (o.KeyFile is not null) keys = KeyFiles.Load(o.KeyFile, requirePrivate: false);
        using var client = await ControlClient.ConnectAsync(server, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        client.RequestDscpEcnMonitoring = o.DscpEcnMonitoring;
        using var setupTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        setupTimeout.CancelAfter(TimeSpan.FromSeconds(30));
        await client.SetupAsync(o.Modes!, o.Identity, keys, o.MaxCount, setupTimeout.Token).ConfigureAwait(false);

        var security = client.Mode.TestSecurity();
        var localAddress = LinkLocal.WithScope(o.Source ?? client.LocalEndPoint.Address, server.Address); // -S fe80::a: the target's zone
        if (localAddress.IsIPv4MappedToIPv6) localAddress = localAddress.MapToIPv4();
        var serverAddress = server.Address.IsIPv4MappedToIPv6 ? server.Address.MapToIPv4() : server.Address;
        using var sender = new SessionSender(localAddress,
            senderOptions with { Security = security, DscpEcnMonitoring = client.Mode.HasDscpEcnMonitoring() }, clock);
        long now = RealtimeClock.UnixNanoseconds();
        var request = new RequestTwSession
        {
            IpVersion = serverAddress.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4,
            SenderPort = (ushort)sender.LocalEndPoint.Port,
            // Like twping: ask for our own port number unless told otherwise; the server may answer
            // with an alternate port (RFC 8545 §5.1), which we then use.
            ReceiverPort = (ushort)(o.RequestedPort != 0 ? o.RequestedPort : sender.LocalEndPoint.Port),
            SenderAddress = localAddress,
            ReceiverAddress = serverAddress,
            PaddingLength = (uint)sender.PaddingLength,
            StartTime = NtpTimestamp.FromUnixNanoseconds(now),
            Timeout = NtpTimestamp.FromInterval((long)(o.LossTimeoutSeconds * 1e9)),
            TypeP = TypeP.FromDscp(o.Dscp),
        };
        var accept = await client.RequestSessionAsync(request, setupTimeout.Token).ConfigureAwait(false);
        if (accept.Accept != AcceptCode.Ok)
            throw new ServerRefusedException($"server refused the session: {accept.Accept.Describe()} (Accept={(int)accept.Accept})" +
                (accept.Accept is AcceptCode.TemporaryResourceLimitation ? " — try again later" :
                 accept.Accept is AcceptCode.NotSupported ? " — check -s, -D and -P" : ""), accept.Accept);
        var reflector = new IPEndPoint(serverAddress, accept.Port);
        sender.Target(reflector, client.Keys, accept.Sid);
        if (o.PerPacket) sender.OnReply = report.PerPacket;

        var startAck = await client.StartSessionsAsync(setupTimeout.Token).ConfigureAwait(false);
        if (startAck != AcceptCode.Ok)
            throw new ServerRefusedException($"server refused to start the session: {startAck.Describe()} (Accept={(int)startAck})", startAck);
        await Task.Run(() => sender.Run(ct), CancellationToken.None).ConfigureAwait(false);
        try
        {
            await client.StopSessionsAsync(ct.IsCancellationRequested ? AcceptCode.Failure : AcceptCode.Ok, 1, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException e) { Log.Warn($"Stop-Sessions not delivered: {e.Message}"); }
        return report.Print(sender, client.Mode, client.Mode.Name(), reflector, accept.Sid, clock);
    }
}
