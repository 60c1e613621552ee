using System.Net;
using System.Net.Sockets;
using TwampProbe.Diagnostics;
using TwampProbe.Linux.Net;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Sessions;

namespace TwampProbe.Control;

/// <summary>
/// The TWAMP-Control command set (RFC 5357 §3.4-3.8) over the shared set-up: Request-TW-Session,
/// Start-Sessions, Stop-Sessions; the sessions are reflected by the <see cref="ReflectorEngine"/>.
/// </summary>
public sealed class TwampCommandSet(ServerConnection connection) : IControlCommandSet
{
    readonly ServerConnection _c = connection;
    readonly ServerContext _ctx = connection.Context;
    readonly List<SessionEntry> _sessions = [];
    /// <summary>RFC 4656 §3.4: between Start-Sessions and Stop-Sessions the server "is said to be
    /// conducting active measurements"; the only command then available is Stop-Sessions.</summary>
    volatile bool _active;
    /// <summary>Sessions of the current Start-Sessions that REFWAIT ended: the client still counts
    /// them in Stop-Sessions (it cannot know).</summary>
    int _endedByRefWait;
    int _sessionsAccepted;
    long _reflected;
    readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];

    sealed record SessionEntry(ReflectorSession Session, ReflectorSocket Socket, string PrefixKey);

    public TwampModes SupportedModes => TwampModes.SecurityModes | TwampModes.DscpEcnMonitoring;

    /// <summary>
    /// Between Start-Sessions and Stop-Sessions with a session still started: a Start-Sessions with no
    /// session (or whose sessions REFWAIT has ended) measures nothing and protects nothing — else a
    /// few hosts could hold the whole connection table with Start-Sessions alone until SERVWAIT.
    /// </summary>
    public bool Measuring
    {
        get
        {
            if (!_active) return false;
            lock (_sessions) return _sessions.Exists(e => e.Session.State == SessionState.Started);
        }
    }

    public string Summary => $"sessions={_sessionsAccepted} reflected={_reflected} {DroppedText()}";

    void Account(ReflectorSession s)
    {
        _reflected += Volatile.Read(ref s.Reflected);
        for (int i = 0; i < _dropped.Length; i++) _dropped[i] += Volatile.Read(ref s.Dropped[i]);
    }

    /// <summary>"dropped=3 (bad-hmac=2 runt=1)" — only the reasons that occurred.</summary>
    string DroppedText()
    {
        long total = _dropped.Sum();
        if (total == 0) return "dropped=0";
        var parts = Enum.GetValues<DropReason>().Where(r => _dropped[(int)r] > 0).Select(r => $"{DropReasons.Name(r)}={_dropped[(int)r]}");
        return $"dropped={total} ({string.Join(" ", parts)})";
    }

    /// <summary>
    /// REFWAIT (RFC 5357 §4.2: end a started session that received nothing that long); sessions that
    /// were stopped are released once their Timeout has passed.
    /// </summary>
    public bool Tick(long now)
    {
        var limits = _ctx.Settings.Limits;
        bool anyRunning = false;
        lock (_sessions)
        {
            for (int i = _sessions.Count - 1; i >= 0; i--)
            {
                var s = _sessions[i].Session;
                if (s.State == SessionState.Started)
                {
                    if (now - s.LastPacketNs > (long)limits.RefWait.TotalNanoseconds)
                    {
                        Log.Info($"control {_c.Remote}: session {SessionId.ToHex(s.Sid)} got no packet for REFWAIT {limits.RefWait.TotalSeconds:0} s; ended");
                        s.Stop(now - s.TimeoutNs - 1);
                        _endedByRefWait++;
                    }
                    else anyRunning = true;
                }
                if (s.State == SessionState.Stopping && now > s.StopDeadlineNs)
                {
                    Account(s);
                    Release(_sessions[i]);
                    _sessions.RemoveAt(i);
                }
            }
        }
        return anyRunning;
    }

    /// <summary>Hands the session to the reflector engine, which frees it on its own thread.</summary>
    void Release(SessionEntry e)
    {
        _ctx.Engine.Detach(e.Socket, e.Session);
        _ctx.ReleaseSession(e.PrefixKey);
    }

    /// <summary>
    /// Sessions that were not stopped die with the connection; stopped ones keep reflecting until
    /// their Timeout and are released then.
    /// </summary>
    public void TearDown()
    {
        List<SessionEntry> lingering = [];
        long now = _c.Now;
        lock (_sessions)
        {
            foreach (var e in _sessions)
            {
                Account(e.Session);
                if (e.Session.State == SessionState.Stopping && e.Session.StopDeadlineNs > now) lingering.Add(e);
                else Release(e);
            }
            _sessions.Clear();
        }
        foreach (var e in lingering)
        {
            var delay = TimeSpan.FromTicks(Math.Max(0, (e.Session.StopDeadlineNs - now) / 100));
            _ = Task.Delay(delay).ContinueWith(_ => Release(e), TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Reads commands until the client closes. Every message is whole blocks: the first block tells
    /// the Command Number and thus the length (RFC 4656 §3).
    /// </summary>
    public async Task CommandLoopAsync(CancellationToken ct)
    {
        var block = new byte[16];
        while (true)
        {
            await _c.Channel.ReadBlocksAsync(block, ct).ConfigureAwait(false);
            switch ((CommandNumber)block[0])
            {
                case CommandNumber.RequestTwSession:
                    await HandleRequestAsync(block, ct).ConfigureAwait(false);
                    break;
                case CommandNumber.StartSessions:
                    await _c.Channel.ReadAndVerifyHmacAsync("Start-Sessions", ct).ConfigureAwait(false);
                    await HandleStartAsync(ct).ConfigureAwait(false);
                    break;
                case CommandNumber.StopSessions:
                    await _c.Channel.ReadAndVerifyHmacAsync("Stop-Sessions", ct).ConfigureAwait(false);
                    if (!HandleStop(block)) return;
                    break;
                default:
                    // RFC 5357 §3.5: "If a TWAMP Server receives an unexpected Command Number, it MUST
                    // respond with the Accept field set to 3 ... in the Accept-Session message."
                    // Only the first block is consumed (as perfSONAR twampd does).
                    Log.Debug($"control {_c.Remote}: unexpected command {block[0]}: Accept-Session Accept=3");
                    Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
                    await SendAcceptSessionAsync(AcceptSession.Reject(AcceptCode.NotSupported), ct).ConfigureAwait(false);
                    break;
            }
        }
    }

    async Task SendAcceptSessionAsync(AcceptSession answer, CancellationToken ct)
    {
        var bytes = new byte[AcceptSession.Size];
        answer.Write(bytes);
        await _c.Channel.WriteWithHmacAsync(bytes, ct).ConfigureAwait(false);
    }

    async Task HandleRequestAsync(byte[] firstBlock, CancellationToken ct)
    {
        var body = new byte[RequestTwSession.BodySize];
        firstBlock.CopyTo(body, 0);
        await _c.Channel.ReadBlocksAsync(body.AsMemory(16), ct).ConfigureAwait(false);
        await _c.Channel.ReadAndVerifyHmacAsync("Request-TW-Session", ct).ConfigureAwait(false);
        AcceptSession answer;
        if (_active)
        {
            // RFC 4656 §3.4: "While conducting active measurements, the only command available is
            // Stop-Sessions." The request is read whole (the stream stays in step) and refused.
            Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
            answer = Refuse(AcceptCode.NotSupported, "Request-TW-Session while sessions are running (RFC 4656 §3.4: only Stop-Sessions)");
        }
        else
        {
            var request = RequestTwSession.Parse(body);
            try { answer = Admit(request); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // RFC 4656 §3.3: Accept = 2, "Internal error". The connection goes on.
                Interlocked.Increment(ref _ctx.Counters.InternalErrors);
                answer = Refuse(AcceptCode.InternalError, $"internal error: {e.GetType().Name}: {e.Message}");
            }
        }
        // Only progress counts as activity for SERVWAIT: refused requests and unknown commands do not
        // keep a connection alive.
        if (answer.Accept == AcceptCode.Ok) { _sessionsAccepted++; _c.Touch(); }
        else Interlocked.Increment(ref _ctx.Counters.SessionsRefused);
        await SendAcceptSessionAsync(answer, ct).ConfigureAwait(false);
    }

    /// <summary>Decides a Request-TW-Session; every refusal carries the fitting Accept code and Port 0.</summary>
    AcceptSession Admit(RequestTwSession request)
    {
        var settings = _ctx.Settings;
        if (request.Validate() is { } invalid) return Refuse(AcceptCode.NotSupported, invalid);
        var layout = TestPacketLayout.For(_c.Mode);
        if (request.PaddingLength > (uint)settings.Limits.MaxPadding)
            return Refuse(AcceptCode.NotSupported, $"padding {request.PaddingLength} exceeds max-padding {settings.Limits.MaxPadding}");
        if (layout.SenderHeader + request.PaddingLength > ReflectorEngine.MaxPacket)
            return Refuse(AcceptCode.NotSupported, $"packets of {layout.SenderHeader + request.PaddingLength} octets exceed {ReflectorEngine.MaxPacket}");

        // What is asked is judged before capacity: a request that can never be served gets its own
        // refusal, not a resource limitation that invites the client to ask again.
        // RFC 5357 §3.5: a zero Sender/Receiver Address means the control connection's addresses.
        // Link-local addresses take the interface of the control connection (LinkLocal.WithScope).
        var senderAddress = LinkLocal.WithScope(request.SenderAddress ?? _c.Remote.Address, _c.Remote.Address);
        var receiverAddress = LinkLocal.WithScope(request.ReceiverAddress ?? _c.Local.Address, _c.Local.Address);
        if (request.SenderPort == 0) return Refuse(AcceptCode.NotSupported, "Sender Port 0");
        if (receiverAddress.AddressFamily != senderAddress.AddressFamily)
            return Refuse(AcceptCode.NotSupported, "sender and receiver addresses of different families");
        // RFC 4656 §6.2: "Unless otherwise configured, the default behavior of servers MUST be to
        // decline requests where the Receiver Address field [for TWAMP: where the reflector sends,
        // the Sender Address] is not equal to the address that the control connection was initiated
        // from or an address of the server." Declined with Accept = 1 (a policy refusal, as owampd).
        if (!SameAddress(senderAddress, _c.Remote.Address) && !settings.Limits.AllowThirdParty.Any(p => p.Contains(senderAddress)))
            return Refuse(AcceptCode.Failure, $"Sender Address {senderAddress} is not the control client {_c.Remote.Address}: " +
                                              "reflecting to a third party is declined (RFC 4656 §6.2; see allow-third-party)");
        // The Receiver Address must be one of ours: refused at once, not after a scan of the port range.
        if (!SameAddress(receiverAddress, _c.Local.Address) && LocalAddresses.Check(receiverAddress) is { } notLocal)
            return Refuse(AcceptCode.NotSupported, $"Receiver Address {receiverAddress} {notLocal}");
        lock (_sessions)
            if (_sessions.Count >= settings.Limits.MaxSessionsPerConnection)
                return Refuse(AcceptCode.PermanentResourceLimitation, $"max-sessions-per-connection {settings.Limits.MaxSessionsPerConnection} reached");
        if (_ctx.TryReserveSession(_c.PrefixKey) is { } full)
            return Refuse(AcceptCode.TemporaryResourceLimitation, full);

        long now = _ctx.Time.UnixNanoseconds;
        var sid = SessionId.Create(receiverAddress, NtpTimestamp.FromUnixNanoseconds(now));
        var security = _c.Mode.TestSecurity();
        ReflectorSession? session = null;
        try
        {
            session = new ReflectorSession
            {
                Sid = sid,
                Mode = _c.Mode,
                Layout = layout,
                Crypto = security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(_c.Keys!, sid, security),
                Sender = UdpPeer.From(new IPEndPoint(senderAddress, request.SenderPort)),
                Dscp = request.TypeP.Dscp,
                // The Timeout keeps a stopped session (its socket, its share of max-sessions) alive after
                // Stop-Sessions, even after the client has gone: capped by max-timeout.
                TimeoutNs = Math.Min(request.Timeout.IntervalNanoseconds, (long)settings.Limits.MaxTimeout.TotalNanoseconds),
                PaddingLength = request.PaddingLength,
            };
            var (socket, code, why) = Attach(session, receiverAddress, request.ReceiverPort);
            if (socket is null)
            {
                session.Dispose();
                _ctx.ReleaseSession(_c.PrefixKey);
                return Refuse(code, why);
            }
            lock (_sessions) _sessions.Add(new SessionEntry(session, socket, _c.PrefixKey));
            Interlocked.Increment(ref _ctx.Counters.SessionsAccepted);
            int port = socket.LocalEndPoint.Port;
            if (port != request.ReceiverPort) Interlocked.Increment(ref _ctx.Counters.AlternatePortAnswers);
            Log.Debug($"control {_c.Remote}: session {SessionId.ToHex(sid)} sender {session.Sender} -> port {port}" +
                      (port != request.ReceiverPort ? $" (asked {request.ReceiverPort})" : "") + $" dscp {session.Dscp} padding {request.PaddingLength}");
            return new AcceptSession(AcceptCode.Ok, (ushort)port, sid);
        }
        catch
        {
            // Not attached (an attached session is in _sessions and released with the connection).
            bool attached;
            lock (_sessions) attached = session is not null && _sessions.Any(e => ReferenceEquals(e.Session, session));
            if (!attached)
            {
                session?.Dispose();
                _ctx.ReleaseSession(_c.PrefixKey);
            }
            throw;
        }
    }

    /// <summary>Same address, ignoring IPv4-mapped form and IPv6 scope.</summary>
    static bool SameAddress(IPAddress a, IPAddress b)
    {
        if (a.IsIPv4MappedToIPv6) a = a.MapToIPv4();
        if (b.IsIPv4MappedToIPv6) b = b.MapToIPv4();
        return a.AddressFamily == b.AddressFamily && a.GetAddressBytes().AsSpan().SequenceEqual(b.GetAddressBytes());
    }

    /// <summary>Refusals are logged through <see cref="ServerConnection.LogRefusal"/> (the first at info).</summary>
    AcceptSession Refuse(AcceptCode code, string reason)
    {
        var line = $"control {_c.Remote}: Request-TW-Session refused with Accept={(int)code} ({code.Describe()}): {reason}";
        _c.LogRefusal(line);
        return AcceptSession.Reject(code);
    }

    /// <summary>
    /// Finds the receiver port: the requested one when it is UDP 862 (RFC 8545 §5) or inside the
    /// test-port range and can be had (sharing a port with sessions of other senders), else an
    /// alternate port from the range, answered with Accept = 0 (RFC 5357 erratum 1587, RFC 8545 §5.1).
    /// Only "port in use" moves on to the next candidate; any other bind error ends the search at
    /// once (out of descriptors: Accept = 5; anything else: Accept = 2).
    /// </summary>
    (ReflectorSocket? Socket, AcceptCode Code, string Why) Attach(ReflectorSession session, IPAddress address, int requested)
    {
        var settings = _ctx.Settings;
        if (requested == ServerSettingsPort || (requested != 0 && settings.InTestPortRange(requested)))
        {
            var (s, fatal) = TryPort(session, address, requested);
            if (s is not null || fatal is not null) return (s, fatal?.Code ?? AcceptCode.Ok, fatal?.Why ?? "");
        }
        int span = settings.TestPortHigh - settings.TestPortLow + 1;
        for (int i = 0; i < Math.Min(span, 512); i++)
        {
            var (s, fatal) = TryPort(session, address, _ctx.NextPortCandidate());
            if (s is not null || fatal is not null) return (s, fatal?.Code ?? AcceptCode.Ok, fatal?.Why ?? "");
        }
        return (null, AcceptCode.TemporaryResourceLimitation, $"no free port in test-ports {settings.TestPortLow}-{settings.TestPortHigh}");
    }

    const int ServerSettingsPort = Config.ServerSettings.TestPort;

    sealed record BindFailure(AcceptCode Code, string Why);

    (ReflectorSocket? Socket, BindFailure? Fatal) TryPort(ReflectorSession session, IPAddress address, int port)
    {
        var local = new IPEndPoint(address, port);
        var existing = _ctx.Engine.FindSocket(local);
        if (existing is not null) return (existing.TryAdd(session) ? existing : null, null);
        try
        {
            var socket = _ctx.Engine.Open(local);
            if (socket.TryAdd(session)) return (socket, null);
            return (null, null);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return (null, null);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
        {
            return (null, new BindFailure(AcceptCode.TemporaryResourceLimitation, $"cannot open a test socket: {e.Message}"));
        }
        catch (SocketException e)
        {
            return (null, new BindFailure(AcceptCode.InternalError, $"cannot bind {local}: {e.Message}"));
        }
    }

    /// <summary>Start-Sessions → Start-Ack at once; reflection begins (RFC 4656 §3.7, RFC 5357 §3.7).</summary>
    async Task HandleStartAsync(CancellationToken ct)
    {
        var accept = AcceptCode.Ok;
        if (_active)
        {
            // RFC 4656 §3.4: only Stop-Sessions while conducting active measurements.
            Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
            var line = $"control {_c.Remote}: Start-Sessions while sessions are running (RFC 4656 §3.4): Start-Ack Accept=3";
            _c.LogRefusal(line);
            accept = AcceptCode.NotSupported;
        }
        else
        {
            long now = _c.Now;
            lock (_sessions)
            {
                foreach (var e in _sessions)
                    e.Session.Start(now);
                _active = true;
                _endedByRefWait = 0;
            }
            _c.Touch();
        }
        var bytes = new byte[ShortControlMessage.Size];
        ShortControlMessage.WriteStartAck(bytes, accept);
        await _c.Channel.WriteWithHmacAsync(bytes, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Stop-Sessions (RFC 5357 §3.8): "Number of Sessions MUST contain the number of send sessions
    /// ... started by the Control-Client that have not been previously terminated"; otherwise the
    /// message is invalid and the connection SHOULD be closed. Sessions that REFWAIT ended count:
    /// the client has not terminated them. Returns false to close.
    /// </summary>
    bool HandleStop(byte[] block)
    {
        var (accept, count) = ShortControlMessage.ParseStopSessions(block);
        long now = _c.Now;
        lock (_sessions)
        {
            int live = _sessions.Count(e => e.Session.State is SessionState.Accepted or SessionState.Started);
            int expected = live + _endedByRefWait;
            if (count != expected && count != live)
            {
                Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
                _c.Outcome = $"protocol error: Stop-Sessions says {count} session(s), {expected} in progress (RFC 5357 §3.8)";
                return false;
            }
            foreach (var e in _sessions)
                if (e.Session.State is SessionState.Accepted or SessionState.Started) e.Session.Stop(now);
            _active = false;
            _endedByRefWait = 0;
        }
        _c.Touch();
        if (accept != AcceptCode.Ok) Log.Info($"control {_c.Remote}: client stopped sessions with Accept={(int)accept} (results invalid)");
        return true;
    }
}
