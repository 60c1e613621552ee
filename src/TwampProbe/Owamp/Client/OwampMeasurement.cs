using System.Net;
using System.Net.Sockets;
using TwampProbe.Control;
using TwampProbe.Diagnostics;
using TwampProbe.Owamp.Test;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Protocol.Wire.Owamp.Test;
using TwampProbe.Time;

namespace TwampProbe.Owamp.Client;

/// <summary>
/// One owping run on a set-up <see cref="OwampControlClient"/>: Request-Session for each direction asked
/// (first the one the server receives, then the one it sends, as owping does), Start-Sessions, the test
/// streams, Stop-Sessions in both directions, and Fetch-Session of the session the server received —
/// "the client fetches the results of the direction the server received and measures the other direction itself".
/// <para>Time: both sessions start <see cref="OwampMeasurementOptions.StartDelay"/> after the requests
/// (RFC 4656 §3.5 Start Time); each side sends its Stop-Sessions once its sessions are complete, Timeout
/// after the last scheduled send time (§3.8). A cancelled <c>ct</c> (Ctrl-C) ends the streams early; the
/// stop and the fetch still happen, so what was measured is reported.</para>
/// </summary>
public sealed class OwampMeasurement(OwampControlClient client, OwampMeasurementOptions options, ClockState clock, IClock? time = null)
{
    readonly IClock _time = time ?? SystemClock.Instance;
    /// <summary>
    /// The "small increment" (RFC 4656 §3.8) after the completion of every session before our Stop-Sessions:
    /// timers may fire a millisecond early, and a Stop-Sessions inside a receiver's Timeout makes it discard
    /// the packets sent in that window.
    /// </summary>
    public static readonly TimeSpan StopMargin = TimeSpan.FromMilliseconds(50);

    /// <summary>How long the control reads after the streams may take before the server counts as gone.</summary>
    static readonly TimeSpan ControlGrace = TimeSpan.FromSeconds(10);

    /// <summary>Called once the server has started the sessions, with the time until the results can be had
    /// (owping's "Approximately 12.6 seconds until results available").</summary>
    public Action<TimeSpan>? Started { get; init; }

    public IPEndPoint? SendFrom { get; private set; }
    public IPEndPoint? ReceiveAt { get; private set; }

    public async Task<(OwampDirectionResult? Send, OwampDirectionResult? Receive)> RunAsync(CancellationToken ct)
    {
        var server = Unmapped(client.RemoteEndPoint.Address);
        var local = Unmapped(LinkLocal.WithScope(options.Source ?? client.LocalEndPoint.Address, client.RemoteEndPoint.Address));
        var ipVersion = server.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4;
        var slots = new[] { options.Exponential ? ScheduleSlot.Exponential(options.Interval) : ScheduleSlot.Fixed(options.Interval) };
        var start = NtpTimestamp.FromUnixNanoseconds(_time.UnixNanoseconds + (long)options.StartDelay.TotalNanoseconds);
        var timeout = NtpTimestamp.FromInterval((long)options.Timeout.TotalNanoseconds);
        var security = client.Mode.TestSecurity();
        OwampTestSpec Spec(byte[] sid) => new()
        {
            Sid = sid, Slots = slots, Packets = (uint)options.Count, StartTime = start, Timeout = timeout,
            PaddingLength = options.Padding, Security = security, Keys = client.Keys, Dscp = options.Dscp,
        };
        RequestSession Request(byte confSender, byte confReceiver, ushort senderPort, ushort receiverPort, byte[] sid) => new()
        {
            IpVersion = ipVersion, ConfSender = confSender, ConfReceiver = confReceiver, Packets = (uint)options.Count,
            SenderPort = senderPort, ReceiverPort = receiverPort,
            SenderAddress = confSender == 1 ? server : local, ReceiverAddress = confReceiver == 1 ? server : local,
            Sid = sid, PaddingLength = options.Padding, StartTime = start, Timeout = timeout,
            TypeP = TypeP.FromDscp(options.Dscp), Slots = slots,
        };

        OwampTestSender? sender = null;
        OwampTestReceiver? receiver = null;
        byte[]? sendSid = null;
        IPEndPoint? serverReceivesAt = null;
        try
        {
            using var setup = CancellationTokenSource.CreateLinkedTokenSource(ct);
            setup.CancelAfter(options.SetupTimeout);
            // Our deadline (not Ctrl-C) passed: the server took the command and never answered it (ClientCommand.Answer).
            // The set-up's deadline is linked to ct; the stop's and fetch's is not: Ctrl-C does not end them.
            Task<T> Answer<T>(Task<T> call, CancellationTokenSource deadline, TimeSpan limit, string what) =>
                Cli.ClientCommand.Answer(call, deadline, deadline == setup ? ct : CancellationToken.None, limit, what, "the server");
            if (options.To)
            {
                // Conf-Receiver = 1: the server receives; its Accept-Session names the port and the SID.
                sender = new OwampTestSender(new IPEndPoint(local, 0), clock, options.ZeroPadding);
                // A Receiver Port may be asked for (UDP 861, RFC 8545 §5.2); the server may answer with another one.
                var accept = await Answer(client.RequestSessionAsync(Request(0, 1, (ushort)sender.LocalEndPoint.Port, (ushort)options.ReceiverPort, new byte[SessionId.Length]), setup.Token),
                    setup, options.SetupTimeout, "Accept-Session for the client → server session").ConfigureAwait(false);
                Refused(accept, "client → server", first: true);
                sendSid = accept.Sid;
                sender.Configure(Spec(sendSid));
                serverReceivesAt = new IPEndPoint(server, accept.Port);
                sender.Target(serverReceivesAt);
                SendFrom = new IPEndPoint(local, sender.LocalEndPoint.Port);
            }
            byte[]? receiveSid = null;
            IPEndPoint? serverSendsFrom = null;
            if (options.From)
            {
                // Conf-Sender = 1: we receive, so the SID is ours (RFC 4656 §3.5: "always chosen by the receiver").
                receiveSid = SessionId.Create(local, NtpTimestamp.FromUnixNanoseconds(_time.UnixNanoseconds));
                receiver = new OwampTestReceiver(Spec(receiveSid), new IPEndPoint(local, 0), clock, (int)MaxRecords, _time);
                var accept = await Answer(client.RequestSessionAsync(Request(1, 0, 0, (ushort)receiver.LocalEndPoint.Port, receiveSid), setup.Token),
                    setup, options.SetupTimeout, "Accept-Session for the server → client session").ConfigureAwait(false);
                Refused(accept, "server → client", first: !options.To);
                serverSendsFrom = new IPEndPoint(server, accept.Port);
                receiver.ExpectFrom(serverSendsFrom);
                ReceiveAt = new IPEndPoint(local, receiver.LocalEndPoint.Port);
            }
            var ack = await Answer(client.StartSessionsAsync(setup.Token), setup, options.SetupTimeout, "Start-Ack").ConfigureAwait(false);
            if (ack != AcceptCode.Ok)
                throw new ServerRefusedException($"server refused to start the sessions: {ack.Describe()} (Accept={(int)ack})", ack);
            if (Started is { } started)
            {
                long complete = Math.Max(sender?.CompleteUnixNanoseconds ?? 0, receiver?.CompleteUnixNanoseconds ?? 0);
                started(TimeSpan.FromTicks(Math.Max(0, complete + (long)StopMargin.TotalNanoseconds - _time.UnixNanoseconds) / 100));
            }

            // Not disposed: the read of the server's Stop-Sessions may outlive this method when it fails.
            var streams = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var receiverStop = CancellationTokenSource.CreateLinkedTokenSource(streams.Token);
            long? serverStopAt = null;
            async Task<StopSessions> ReadServerStopAsync()
            {
                try
                {
                    var stop = await client.ReadStopSessionsAsync(options.From ? 1 : 0, CancellationToken.None).ConfigureAwait(false);
                    serverStopAt = _time.UnixNanoseconds;
                    return stop;
                }
                catch
                {
                    streams.Cancel(); // the connection is gone or broken: stop sending and receiving
                    throw;
                }
                finally
                {
                    // The server's Stop-Sessions ends our receive stream at once (RFC 4656 §3.8).
                    receiverStop.Cancel();
                }
            }
            var serverStop = ReadServerStopAsync();
            var sending = sender is null ? Task.CompletedTask : Task.Factory.StartNew(() => sender.Run(streams.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var receiving = receiver is null ? Task.CompletedTask : Task.Factory.StartNew(() => receiver.Run(receiverStop.Token, StopMargin), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await sending.ConfigureAwait(false);
            // "Each side … SHOULD wait until all sessions are complete before sending the Stop-Sessions message.
            // The completed time of each session is determined as Timeout after the scheduled time for the last
            // sequence number. Endpoints MAY add a small increment" (§3.8): both directions, plus StopMargin, so
            // that neither receiver sees our Stop-Sessions (or the server's answer to it) inside its Timeout.
            if (!streams.IsCancellationRequested)
            {
                long complete = Math.Max(sender?.CompleteUnixNanoseconds ?? 0, receiver?.CompleteUnixNanoseconds ?? 0);
                long wait = complete + (long)StopMargin.TotalNanoseconds - _time.UnixNanoseconds;
                if (wait > 0)
                    try { await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait / 1e6)), streams.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { }
            }
            if (ct.IsCancellationRequested) receiverStop.Cancel();
            await receiving.ConfigureAwait(false);

            var records = sender is null ? [] : new[] { new StopSessionRecord(sendSid!, sender.NextSeqno, [.. sender.SkipRanges]) };
            using var control = new CancellationTokenSource(ControlGrace + options.Timeout);
            if (serverStop.IsFaulted)
            {
                var lost = serverStop.Exception!.GetBaseException();
                if (lost is ControlProtocolException) throw lost;
                throw new Cli.PingNetworkException($"control connection lost during the measurement: {Cli.ErrorText.Describe(lost)} — " +
                    "the server stopped, restarted or dropped the connection; no results", lost);
            }
            await client.SendStopSessionsAsync(AcceptCode.Ok, records, control.Token).ConfigureAwait(false);
            StopSessions theirs;
            try { theirs = await serverStop.WaitAsync(control.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!serverStop.IsCompleted)
            {
                throw new ControlProtocolException($"no Stop-Sessions from the server within {(ControlGrace + options.Timeout).TotalSeconds:0} s of ours (RFC 4656 §3.8)");
            }

            OwampDirectionResult? receive = null;
            if (receiver is not null)
            {
                var record = theirs.Sessions.FirstOrDefault(s => s.Sid.AsSpan().SequenceEqual(receiveSid));
                string? error = theirs.Accept != AcceptCode.Ok ? $"the server stopped with Accept={(int)theirs.Accept}: results invalid (RFC 4656 §3.8)"
                    : record is null ? "the server's Stop-Sessions does not account for the session it sent (RFC 4656 §3.8)" : null;
                var result = record is null ? null : receiver.Complete(record.NextSeqno, record.SkipRanges, serverStopAt);
                receive = new OwampDirectionResult
                {
                    Name = "receive", Sid = receiveSid!, From = serverSendsFrom!, To = ReceiveAt!,
                    NextSeqno = record?.NextSeqno ?? 0, SkipRanges = record?.SkipRanges ?? [],
                    Records = result?.Records ?? [], Error = error ?? result?.Invalid, Dropped = receiver.DroppedTotal,
                    TrafficClass = receiver.TrafficClass, TrafficClassVaried = receiver.TrafficClassVaried,
                };
            }

            OwampDirectionResult? send = null;
            if (sender is not null)
            {
                send = new OwampDirectionResult
                {
                    Name = "send", Sid = sendSid!, From = SendFrom!, To = serverReceivesAt!,
                    NextSeqno = sender.NextSeqno, SkipRanges = [.. sender.SkipRanges], Records = [],
                };
                if (theirs.Accept != AcceptCode.Ok)
                    send = send with { Error = $"the server stopped with Accept={(int)theirs.Accept}: results invalid (RFC 4656 §3.8)" };
                else
                {
                    var (fetchAck, data) = await Answer(client.FetchSessionAsync(FetchSession.Complete(sendSid!), MaxRecords, control.Token),
                        control, ControlGrace + options.Timeout, "Fetch-Ack or session data (the client → server results)").ConfigureAwait(false);
                    send = fetchAck.Accept != AcceptCode.Ok
                        ? send with { Error = $"the server refused to return the results (Fetch-Ack Accept={(int)fetchAck.Accept}: {fetchAck.Accept.Describe()})" }
                        : send with { Records = data!.Records };
                }
            }
            return (send, receive);
        }
        finally
        {
            sender?.Dispose();
            receiver?.Dispose();
        }
    }

    /// <summary>Records kept or fetched per direction: every packet, and as many duplicates again.</summary>
    uint MaxRecords => (uint)Math.Min(int.MaxValue, 2L * options.Count + 1024);

    /// <param name="first">The first Request-Session of the connection: a TWAMP server answers it (a command
    /// TWAMP does not know) with Accept=3, so "not supported" there may mean the wrong protocol.</param>
    void Refused(AcceptSession accept, string direction, bool first)
    {
        if (accept.Accept == AcceptCode.Ok) return;
        throw new ServerRefusedException($"server refused the {direction} session: {accept.Accept.Describe()} (Accept={(int)accept.Accept})" +
            (accept.Accept is AcceptCode.TemporaryResourceLimitation ? $" — the server is busy, or {RateText()} is more than it admits at once" +
                " (twampprobe serve: owamp-max-bandwidth, default 10 Mbit/s): try a longer -i, or again later" :
             accept.Accept is AcceptCode.PermanentResourceLimitation ? " — fewer packets (-c) may fit its limits" :
             accept.Accept is AcceptCode.NotSupported ? " — check -s, -D and -i" +
                 (first ? Cli.ClientCommand.OtherProtocolHint("OWAMP", client.RemoteEndPoint.Port) : "") : ""), accept.Accept);
    }

    /// <summary>
    /// The mean rate this session asks for, as a server judges it (RFC 4656 §6.5): the packet on the wire
    /// (IP and UDP headers, OWAMP-Test header of the mode, padding) every mean interval, but no more
    /// than all of its -c packets in one second (as <see cref="Server.OwampCapacity.MeanBitsPerSecond"/>).
    /// </summary>
    string RateText()
    {
        var server = client.RemoteEndPoint.Address;
        int ip = server.AddressFamily == AddressFamily.InterNetwork || server.IsIPv4MappedToIPv6 ? 20 : 40;
        int header = client.Mode == TwampModes.Unauthenticated ? OwampTestPacket.UnauthenticatedHeader : OwampTestPacket.SecureHeader;
        double packet = (ip + 8 + header + options.Padding) * 8.0;
        double whole = packet * options.Count;
        double bits = options.Interval <= TimeSpan.Zero ? whole : Math.Min(whole, packet / options.Interval.TotalSeconds);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"this session's {(bits >= 1e6 ? $"{bits / 1e6:0.##} Mbit/s" : $"{bits / 1e3:0.##} kbit/s")} (-c {options.Count}, -i {options.Interval.TotalSeconds:0.######}, -s {options.Padding})");
    }

    static IPAddress Unmapped(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
