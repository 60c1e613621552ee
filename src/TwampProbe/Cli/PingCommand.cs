using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Diagnostics;
using TwampProbe.Linux.Time;
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
        if (options.Help)
        {
            Console.Out.Write(Program.PingUsage);
            return ExitCode.Ok;
        }
        Program.RequireCrypto();
        return ClientCommand.Run("TWAMP", ClientCommand.ControlPort(options.Target, ServerSettings.ControlPort), options.Target, ct => RunAsync(options, Console.Out, ct));
    }

    public static async Task<int> RunAsync(PingOptions o, TextWriter output, CancellationToken ct)
    {
        var server = PingTarget.Resolve(o.Target, ServerSettings.ControlPort, o.Family);
        PingTarget.CheckSource(o.Source, server, o.Target);
        using var clock = new ClockState(TimeSpan.FromSeconds(1));
        var senderOptions = new SenderOptions
        {
            Count = o.Count, Interval = TimeSpan.FromSeconds(o.IntervalSeconds), ExponentialInterval = o.ExponentialInterval,
            Padding = o.Padding, ZeroPadding = o.ZeroPadding,
            Dscp = o.Dscp, Ecn = o.Ecn, Ttl = o.Ttl, LossTimeout = TimeSpan.FromSeconds(o.LossTimeoutSeconds), PerPacket = o.PerPacket, Cpu = o.Cpu,
        };
        var report = new PingReport(o, output);

        if (o.Light)
        {
            var local = o.Source is { } source ? LinkLocal.WithScope(source, server.Address) : server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
            using var light = BindSender(local, senderOptions, clock, o);
            light.Target(server, null, default, light: true);
            if (o.PerPacket) { light.OnReply = report.PerPacket; light.OnUnmeasuredReply = report.Unmeasured; }
            await Task.Run(() => light.Run(ct), CancellationToken.None).ConfigureAwait(false);
            return report.Print(light, TwampModes.Unauthenticated, "light", server, null, clock);
        }

        // Local mistakes are found before the first packet: they are configuration errors, not refusals.
        var keys = ClientKeys.Load(o.KeyFile, o.Identity);
        var controlSource = o.Source is { } s ? LinkLocal.WithScope(s, server.Address) : null;
        using var client = await ControlClient.ConnectAsync(server, TimeSpan.FromSeconds(10), ct, controlSource).ConfigureAwait(false);
        client.RequestDscpEcnMonitoring = o.DscpEcnMonitoring;
        using var setupTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        setupTimeout.CancelAfter(o.SetupTimeout);
        string serverText = EndpointText.Format(server);
        await ClientCommand.SetUp(client.SetupAsync(o.Modes!, o.Identity, keys, o.MaxCount, setupTimeout.Token), ct, o.SetupTimeout, "TWAMP", server).ConfigureAwait(false);

        setupTimeout.CancelAfter(o.SetupTimeout); // Request-TW-Session has the whole time again
        var security = client.Mode.TestSecurity();
        var localAddress = LinkLocal.WithScope(o.Source ?? client.LocalEndPoint.Address, server.Address); // -S fe80::a: the target's zone
        if (localAddress.IsIPv4MappedToIPv6) localAddress = localAddress.MapToIPv4();
        var serverAddress = server.Address.IsIPv4MappedToIPv6 ? server.Address.MapToIPv4() : server.Address;
        using var sender = BindSender(localAddress,
            senderOptions with { Security = security, DscpEcnMonitoring = client.Mode.HasDscpEcnMonitoring() }, clock, o);
        var request = BuildRequest(o, localAddress, serverAddress, sender.LocalEndPoint.Port, sender.PaddingLength, RealtimeClock.UnixNanoseconds());
        AcceptSession accept;
        try
        {
            accept = await ClientCommand.Answer(client.RequestSessionAsync(request, setupTimeout.Token), setupTimeout, ct, o.SetupTimeout,
                "Accept-Session", serverText).ConfigureAwait(false);
        }
        catch (ControlConnectionClosedException e)
        {
            // Greeting and set-up went well, and the server hung up on the request instead of an
            // Accept-Session: what an OWAMP-Control server does with a command it does not know.
            throw new PingNetworkException("the server closed the control connection on Request-TW-Session, without an Accept-Session" +
                ClientCommand.OtherProtocolHint("TWAMP", server.Port), e);
        }
        if (accept.Accept != AcceptCode.Ok)
            throw new ServerRefusedException($"server refused the session: {accept.Accept.Describe()} (Accept={(int)accept.Accept})" +
                (accept.Accept is AcceptCode.TemporaryResourceLimitation ? " — try again later" :
                 accept.Accept is AcceptCode.NotSupported ? " — check -s, -D and --receiver-port" : "") +
                (accept.Accept is AcceptCode.Failure && !o.ZeroAddresses ? " — behind NAT or port forwarding, try -Z" : ""), accept.Accept);
        var reflector = new IPEndPoint(serverAddress, accept.Port);
        sender.Target(reflector, client.Keys, accept.Sid);
        if (o.PerPacket) { sender.OnReply = report.PerPacket; sender.OnUnmeasuredReply = report.Unmeasured; }

        setupTimeout.CancelAfter(o.SetupTimeout); // Start-Sessions has the whole time again
        var startAck = await ClientCommand.Answer(client.StartSessionsAsync(setupTimeout.Token), setupTimeout, ct, o.SetupTimeout,
            "Start-Ack", serverText).ConfigureAwait(false);
        if (startAck != AcceptCode.Ok)
            throw new ServerRefusedException($"server refused to start the session: {startAck.Describe()} (Accept={(int)startAck})", startAck);

        // The server says nothing until Stop-Sessions: a read that ends means the connection is gone
        // (server killed, restarted, or a reset on the path). Stop sending then; report what was measured.
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watch = client.WatchForLossAsync(run.Token);
        _ = watch.ContinueWith(_ => run.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        await Task.Run(() => sender.Run(run.Token), CancellationToken.None).ConfigureAwait(false);
        Exception? lost = watch.IsCompletedSuccessfully ? watch.Result : null;
        if (lost is null)
        {
            try
            {
                await client.StopSessionsAsync(ct.IsCancellationRequested ? AcceptCode.Failure : AcceptCode.Ok, 1, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { lost = e; }
        }
        int exit = report.Print(sender, client.Mode, client.Mode.Name(), reflector, accept.Sid, clock);
        if (lost is not null)
            throw new PingNetworkException($"control connection lost: {ErrorText.Describe(lost)} — the server stopped, restarted or dropped the connection; " +
                $"the statistics above cover the {sender.Statistics.PacketsSent} of {o.Count} packets sent until then", lost);
        return exit;
    }

    /// <summary>Binds the test socket: any port, or the first free one of -P LOW-HIGH (from a random start, as twping does).</summary>
    static SessionSender BindSender(IPAddress local, SenderOptions options, ClockState clock, PingOptions o)
    {
        if (o.LocalPorts is not { } range) return new SessionSender(local, options, clock);
        int span = range.High - range.Low + 1;
        int first = Random.Shared.Next(span);
        SocketException? last = null;
        for (int k = 0; k < span; k++)
        {
            int port = range.Low + (first + k) % span;
            try { return new SessionSender(local, options, clock, port); }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied) { last = e; }
        }
        throw new PingNetworkException($"no free local UDP port in -P {range.Low}-{range.High} on {local}: {(last is null ? "" : ErrorText.Describe(last))}", last);
    }

    /// <summary>The Request-TW-Session for this run (RFC 5357 §3.5).</summary>
    internal static RequestTwSession BuildRequest(PingOptions o, IPAddress localAddress, IPAddress serverAddress, int senderPort, int padding, long nowUnixNs) => new()
    {
        IpVersion = serverAddress.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4,
        SenderPort = (ushort)senderPort,
        // Like twping: ask for our own port number unless told otherwise; the server may answer
        // with an alternate port (RFC 8545 §5.1), which we then use.
        ReceiverPort = (ushort)(o.RequestedPort != 0 ? o.RequestedPort : senderPort),
        // -Z: zero addresses, which RFC 5357 §3.5 (after RFC 4656 §3.5) allows and the server then takes
        // from the control connection: what works through NAT and port forwarding.
        SenderAddress = o.ZeroAddresses ? null : localAddress,
        ReceiverAddress = o.ZeroAddresses ? null : serverAddress,
        PaddingLength = (uint)padding,
        StartTime = NtpTimestamp.FromUnixNanoseconds(nowUnixNs),
        Timeout = NtpTimestamp.FromInterval((long)(o.LossTimeoutSeconds * 1e9)),
        TypeP = TypeP.FromDscp(o.Dscp),
    };
}
