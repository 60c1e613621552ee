using System.Net;
using System.Net.Sockets;
using TwampProbe.Control;
using TwampProbe.Owamp.Test;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Protocol.Wire.Owamp.Test;

namespace TwampProbe.Owamp.Server;

public sealed partial class OwampCommandSet
{
    /// <summary>Slots read per step: a request announcing many is read (and authenticated) in pieces.</summary>
    const int SlotChunk = 256;

    /// <summary>Slots a request may bring without a charge while it is read (16 KiB a connection).</summary>
    const int UnchargedSlots = 1024;

    /// <summary>
    /// Request-Session (RFC 4656 §3.5): the preamble and its HMAC, the slots and theirs — each HMAC
    /// checked as soon as its part is in (§3.2) — then an Accept-Session, which "MUST" answer every
    /// request. The request is always read whole, so a refusal leaves the stream in step.
    /// </summary>
    async Task HandleRequestAsync(byte[] firstBlock, CancellationToken ct)
    {
        var body = new byte[RequestSession.PreambleBodySize];
        firstBlock.CopyTo(body, 0);
        await _c.Channel.ReadBlocksAsync(body.AsMemory(OwampBlocks.Size), ct).ConfigureAwait(false);
        await _c.Channel.ReadAndVerifyHmacAsync("Request-Session", ct).ConfigureAwait(false);
        var preamble = RequestSession.ParsePreamble(body);

        // A schedule longer than the packets a session may hold is never needed: such a request is
        // read and refused (permanent limit).
        long wanted = preamble.NumberOfSlots;
        var limits = _ctx.Settings.Limits;
        int keep = limits.OwampMaxRecordsPerSession;
        bool keepSlots = wanted <= keep;
        // The slots are held before their HMAC has been checked and before the request is judged: a
        // large schedule is charged to the client prefix's share of owamp-max-records while it is read
        // (RFC 4656 §6.5: "the server MUST have technical means to limit ... memory"). Else peers that
        // stop before the slots' HMAC held 16 octets per slot each: 100 of them with 100 000 slots
        // took 260 MB. A schedule that does not fit is read without being kept and refused (Accept = 5).
        string? noRoom = null;
        var prefix = _c.PrefixKey;
        bool charged = false;
        if (keepSlots && wanted > UnchargedSlots)
        {
            noRoom = _ctx.OwampResults.TryReserve(wanted, prefix, limits, _c.Now);
            charged = noRoom is null;
            keepSlots = charged;
        }
        List<ScheduleSlot> slots;
        try
        {
            slots = new List<ScheduleSlot>(keepSlots ? (int)wanted : 0);
            var chunk = new byte[SlotChunk * ScheduleSlot.Size];
            for (long left = wanted; left > 0;)
            {
                int n = (int)Math.Min(left, SlotChunk);
                await _c.Channel.ReadBlocksAsync(chunk.AsMemory(0, n * ScheduleSlot.Size), ct).ConfigureAwait(false);
                if (keepSlots) slots.AddRange(RequestSession.ReadSlots(chunk, n));
                left -= n;
            }
            await _c.Channel.ReadAndVerifyHmacAsync("Request-Session slots", ct).ConfigureAwait(false);
        }
        finally
        {
            // Admit charges the session's records and slots anew.
            if (charged) _ctx.OwampResults.Unreserve(wanted, prefix);
        }
        var request = preamble with { Slots = slots };

        AcceptSession answer;
        if (_active)
        {
            // RFC 4656 §3.4: "While conducting active measurements, the only command available is Stop-Sessions."
            Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
            answer = Refuse(AcceptCode.NotSupported, "Request-Session while sessions are running (RFC 4656 §3.4: only Stop-Sessions)");
        }
        else if (wanted > keep)
            answer = Refuse(AcceptCode.PermanentResourceLimitation, $"{wanted} schedule slots exceed owamp-max-records-per-session {keep}");
        else if (noRoom is not null)
            answer = Refuse(AcceptCode.TemporaryResourceLimitation, $"{wanted} schedule slots: {noRoom}");
        else
        {
            try { answer = Admit(request); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // RFC 4656 §3.3: Accept = 2, "Internal error". The connection goes on.
                Interlocked.Increment(ref _ctx.Counters.InternalErrors);
                answer = Refuse(AcceptCode.InternalError, $"internal error: {e.GetType().Name}: {e.Message}");
            }
        }
        if (answer.Accept == AcceptCode.Ok) { _accepted++; _c.Touch(); }
        else Interlocked.Increment(ref _ctx.Counters.SessionsRefused);
        var bytes = new byte[AcceptSession.Size];
        answer.Write(bytes);
        await WriteAsync(() => _c.Channel.WriteWithHmacAsync(bytes, ct), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Decides a valid-looking Request-Session; every refusal carries the fitting Accept code (RFC 4656 §3.3)
    /// and Port 0. What is asked is judged first — the fields, the end points (RFC 4656 §6.2), the ports —
    /// and only a request that could be served is weighed against capacity: a third-party request on a
    /// busy server gets the policy's Accept = 1, not a "try again later" 5 that would succeed when idle.
    /// The same order as Request-TW-Session (<see cref="TwampCommandSet"/>).
    /// </summary>
    AcceptSession Admit(RequestSession request)
    {
        var settings = _ctx.Settings;
        var limits = settings.Limits;
        if (request.Validate() is { } invalid) return Refuse(AcceptCode.NotSupported, invalid);
        var security = _c.Mode.TestSecurity();
        if (request.PaddingLength > (uint)limits.MaxPadding)
            return Refuse(AcceptCode.NotSupported, $"padding {request.PaddingLength} exceeds max-padding {limits.MaxPadding}");
        if (OwampTestPacket.HeaderLength(security) + request.PaddingLength > OwampTestReceiver.MaxPacket)
            return Refuse(AcceptCode.NotSupported, $"packets of {OwampTestPacket.HeaderLength(security) + request.PaddingLength} octets exceed {OwampTestReceiver.MaxPacket}");
        // RFC 4656 §3.3: 4 = "permanent resource limitations" — this request can never be served here.
        if (request.Packets > (uint)limits.OwampMaxRecordsPerSession)
            return Refuse(AcceptCode.PermanentResourceLimitation, $"{request.Packets} packets exceed owamp-max-records-per-session {limits.OwampMaxRecordsPerSession}");
        if (request.Packets == 0) return Refuse(AcceptCode.NotSupported, "Number of Packets 0");
        var (ends, refused) = request.ServerReceives ? ReceiveEnds(request) : SendEnds(request);
        if (refused is not null) return refused;
        lock (_sessions)
            if (_sessions.Count >= limits.MaxSessionsPerConnection)
                return Refuse(AcceptCode.PermanentResourceLimitation, $"max-sessions-per-connection {limits.MaxSessionsPerConnection} reached");
        // RFC 4656 §6.5: "the server MUST have technical means to limit the use of network capacity":
        // the session's mean rate is reserved from owamp-max-bandwidth until it ends; RFC 4656 §3.3:
        // 5 = "temporary resource limitations" — capacity frees as other sessions end.
        var (rate, burst) = OwampCapacity.MeanBitsPerSecond(request.Slots, request.PaddingLength, security, ends.Receiver.AddressFamily, request.Packets);
        var (bandwidth, tooFast) = _ctx.OwampResults.Capacity.TryReserve(rate, limits, _c.PrefixKey, burst);
        if (bandwidth is null) return Refuse(AcceptCode.TemporaryResourceLimitation, tooFast!);
        AcceptSession answer;
        try
        {
            answer = request.ServerReceives ? AdmitReceive(request, ends, security, bandwidth) : AdmitSend(request, ends, security, bandwidth);
        }
        catch
        {
            if (!HoldsBandwidth(bandwidth)) bandwidth.Release();
            throw;
        }
        if (answer.Accept != AcceptCode.Ok) bandwidth.Release();
        return answer;
    }

    bool HoldsBandwidth(OwampCapacity.Reservation bandwidth)
    {
        lock (_sessions) return _sessions.Any(s => ReferenceEquals(s.Bandwidth, bandwidth));
    }

    /// <summary>The two ends of the test path, absent addresses filled in from the control connection.</summary>
    readonly record struct Ends(IPAddress Sender, IPAddress Receiver);

    /// <summary>
    /// Conf-Receiver: the Sender/Receiver Address are the end points of the path; absent ones are the control
    /// connection's (RFC 4656 §3.5, as in TWAMP, RFC 5357 §3.5). The server receives: the Receiver Address
    /// must be one of its own (Accept = 3); the server sends nothing to the sender.
    /// </summary>
    (Ends, AcceptSession?) ReceiveEnds(RequestSession request)
    {
        var senderAddress = LinkLocal.WithScope(request.SenderAddress ?? _c.Remote.Address, _c.Remote.Address);
        var receiverAddress = LinkLocal.WithScope(request.ReceiverAddress ?? _c.Local.Address, _c.Local.Address);
        var ends = new Ends(senderAddress, receiverAddress);
        if (senderAddress.AddressFamily != receiverAddress.AddressFamily)
            return (ends, Refuse(AcceptCode.NotSupported, "sender and receiver addresses of different families"));
        if (!SameAddress(receiverAddress, _c.Local.Address) && LocalAddresses.Check(receiverAddress) is { } notLocal)
            return (ends, Refuse(AcceptCode.NotSupported, $"Receiver Address {receiverAddress} {notLocal}"));
        return (ends, null);
    }

    /// <summary>Conf-Sender: the server sends to the client's Receiver Address and Port, from one of its own addresses.</summary>
    (Ends, AcceptSession?) SendEnds(RequestSession request)
    {
        var limits = _ctx.Settings.Limits;
        var receiverAddress = LinkLocal.WithScope(request.ReceiverAddress ?? _c.Remote.Address, _c.Remote.Address);
        var senderAddress = LinkLocal.WithScope(request.SenderAddress ?? _c.Local.Address, _c.Local.Address);
        var ends = new Ends(senderAddress, receiverAddress);
        if (senderAddress.AddressFamily != receiverAddress.AddressFamily)
            return (ends, Refuse(AcceptCode.NotSupported, "sender and receiver addresses of different families"));
        if (request.ReceiverPort == 0) return (ends, Refuse(AcceptCode.NotSupported, "Receiver Port 0"));
        // RFC 4656 §6.2: "Unless otherwise configured, the default behavior of servers MUST be to decline
        // requests where the Receiver Address field is not equal to the address that the control connection
        // was initiated from or an address of the server." Declined with Accept = 1, as TWAMP does.
        if (!SameAddress(receiverAddress, _c.Remote.Address) && !limits.AllowThirdParty.Any(p => p.Contains(receiverAddress)))
            return (ends, Refuse(AcceptCode.Failure, $"Receiver Address {receiverAddress} is not the control client {_c.Remote.Address}: " +
                                                     "sending to a third party is declined (RFC 4656 §6.2; see allow-third-party)"));
        if (!SameAddress(senderAddress, _c.Local.Address) && LocalAddresses.Check(senderAddress) is { } notLocal)
            return (ends, Refuse(AcceptCode.NotSupported, $"Sender Address {senderAddress} {notLocal}"));
        return (ends, null);
    }

    /// <summary>Conf-Receiver: the client sends, the server receives on a port it chooses and keeps the records.</summary>
    AcceptSession AdmitReceive(RequestSession request, Ends ends, TestSecurity security, OwampCapacity.Reservation bandwidth)
    {
        var limits = _ctx.Settings.Limits;
        var (senderAddress, receiverAddress) = (ends.Sender, ends.Receiver);
        // Room for the packets and a few duplicates (RFC 4656 §4.2: duplicates "MUST be recorded normally").
        int records = (int)Math.Min(limits.OwampMaxRecordsPerSession, request.Packets + request.Packets / 16 + 4);
        // The slots stay with the results (the reproduction, §3.9): each is charged as a record (RFC 4656
        // §6.5: the memory use of a session is computed and limited), else any number could be parked.
        // The charge is the client prefix's from here until the results go (OwampResults.PrefixShare);
        // the storage itself is allocated only when the session starts (OwampTestReceiver).
        int charge = records + request.Slots.Count;
        long now = _c.Now;
        var prefix = _c.PrefixKey;
        // RFC 4656 §3.3: 5 = "temporary resource limitations" — space frees as results expire or are fetched.
        if (_ctx.OwampResults.TryReserve(charge, prefix, limits, now) is { } full)
            return Refuse(AcceptCode.TemporaryResourceLimitation, full);
        if (_ctx.TryReserveSession(prefix) is { } noSession)
        {
            _ctx.OwampResults.Unreserve(charge, prefix);
            return Refuse(AcceptCode.TemporaryResourceLimitation, noSession);
        }
        // "SID is always chosen by the receiver" (RFC 4656 §3.5).
        var sid = SessionId.Create(receiverAddress, NtpTimestamp.FromUnixNanoseconds(_ctx.Time.UnixNanoseconds));
        var spec = Spec(request, sid, security);
        OwampTestReceiver? receiver = null;
        try
        {
            var (port, code, why) = BindPort(request.ReceiverPort, p => receiver = new OwampTestReceiver(spec, new IPEndPoint(receiverAddress, p), _ctx.Clock, records, _ctx.Time, _ctx.Privileged));
            if (receiver is null)
            {
                _ctx.OwampResults.Unreserve(charge, prefix);
                _ctx.ReleaseSession(prefix);
                return Refuse(code, why);
            }
            receiver.ExpectFrom(new IPEndPoint(senderAddress, request.SenderPort));
            // RFC 4656 §3.9: the reproduction carries "actual sender and receiver port numbers".
            var result = new OwampResult
            {
                Sid = sid,
                Reproduction = request with { Sid = sid, ReceiverPort = (ushort)port, NumberOfSlots = (uint)request.Slots.Count },
                PrefixKey = prefix,
                ReservedRecords = charge,
            };
            result.Attach(receiver);
            _ctx.OwampResults.Add(result);
            lock (_sessions) _sessions.Add(new OwampServerSession { Sid = sid, PrefixKey = prefix, Receiver = receiver, Result = result, Bandwidth = bandwidth });
            Interlocked.Increment(ref _ctx.Counters.SessionsAccepted);
            if (port != request.ReceiverPort && request.ReceiverPort != 0) Interlocked.Increment(ref _ctx.Counters.AlternatePortAnswers);
            LogDebug($"receive session {SessionId.ToHex(sid)} from {senderAddress}:{request.SenderPort} on port {port}, {request.Packets} packets");
            return new AcceptSession(AcceptCode.Ok, (ushort)port, sid);
        }
        catch
        {
            bool kept;
            lock (_sessions) kept = receiver is not null && _sessions.Any(s => ReferenceEquals(s.Receiver, receiver));
            if (!kept)
            {
                receiver?.Dispose();
                _ctx.OwampResults.Unreserve(charge, prefix);
                _ctx.ReleaseSession(prefix);
            }
            throw;
        }
    }

    /// <summary>Conf-Sender: the server sends to the client's Receiver Address and Port on the schedule.</summary>
    AcceptSession AdmitSend(RequestSession request, Ends ends, TestSecurity security, OwampCapacity.Reservation bandwidth)
    {
        var limits = _ctx.Settings.Limits;
        var (senderAddress, receiverAddress) = (ends.Sender, ends.Receiver);
        // A send session keeps no records, but its schedule lives as long as it does: its slots are charged
        // to owamp-max-records (and the client prefix's share) until it is released (RFC 4656 §6.5).
        int slots = request.Slots.Count;
        var prefix = _c.PrefixKey;
        if (_ctx.OwampResults.TryReserve(slots, prefix, limits, _c.Now) is { } full)
            return Refuse(AcceptCode.TemporaryResourceLimitation, full);
        if (_ctx.TryReserveSession(prefix) is { } noSession)
        {
            _ctx.OwampResults.Unreserve(slots, prefix);
            return Refuse(AcceptCode.TemporaryResourceLimitation, noSession);
        }
        // With Conf-Receiver = 0 the client is the receiver and chose the SID (RFC 4656 §3.5).
        var sid = request.Sid.ToArray();
        var spec = Spec(request, sid, security);
        OwampTestSender? sender = null;
        try
        {
            var (port, code, why) = BindPort(0, p => sender = new OwampTestSender(spec, new IPEndPoint(senderAddress, p), _ctx.Clock, time: _ctx.Time, privileged: _ctx.Privileged));
            if (sender is null)
            {
                _ctx.OwampResults.Unreserve(slots, prefix);
                _ctx.ReleaseSession(prefix);
                return Refuse(code, why);
            }
            sender.Target(new IPEndPoint(receiverAddress, request.ReceiverPort));
            lock (_sessions) _sessions.Add(new OwampServerSession { Sid = sid, PrefixKey = prefix, Sender = sender, Bandwidth = bandwidth });
            Interlocked.Increment(ref _ctx.Counters.SessionsAccepted);
            LogDebug($"send session {SessionId.ToHex(sid)} from port {port} to {receiverAddress}:{request.ReceiverPort}, {request.Packets} packets dscp {spec.Dscp}");
            // "If only Conf-Sender was set, Port is the port from which to expect OWAMP-Test packets"; the
            // SID field is unused then — owampd echoes the client's, and so do we.
            return new AcceptSession(AcceptCode.Ok, (ushort)port, sid);
        }
        catch
        {
            bool kept;
            lock (_sessions) kept = sender is not null && _sessions.Any(s => ReferenceEquals(s.Sender, sender));
            if (!kept)
            {
                sender?.Dispose();
                _ctx.OwampResults.Unreserve(slots, prefix);
                _ctx.ReleaseSession(prefix);
            }
            throw;
        }
    }

    OwampTestSpec Spec(RequestSession request, byte[] sid, TestSecurity security) => new()
    {
        Sid = sid,
        Slots = request.Slots,
        Packets = request.Packets,
        StartTime = request.StartTime,
        Timeout = request.Timeout,
        PaddingLength = request.PaddingLength,
        Security = security,
        Keys = _c.Keys,
        Dscp = request.TypeP.Dscp,
    };

    /// <summary>
    /// Binds a test socket: the requested port when it is the OWAMP-Test well-known port (RFC 8545 §5.2)
    /// or inside the test-port range and free, else an alternate port from the range (answered with
    /// Accept = 0, RFC 8545 §5.2). Only "port in use" moves on; out of descriptors is Accept = 5,
    /// anything else Accept = 2. Returns the port bound.
    /// </summary>
    (int Port, AcceptCode Code, string Why) BindPort(int requested, Func<int, object> bind)
    {
        var settings = _ctx.Settings;
        if (requested != 0 && (requested == settings.OwampWellKnownTestPort || settings.InTestPortRange(requested)))
        {
            var (port, fatal) = TryBind(requested, bind);
            if (port != 0 || fatal is not null) return (port, fatal?.Code ?? AcceptCode.Ok, fatal?.Why ?? "");
        }
        int span = settings.TestPortHigh - settings.TestPortLow + 1;
        for (int i = 0; i < Math.Min(span, 512); i++)
        {
            var (port, fatal) = TryBind(_ctx.NextPortCandidate(), bind);
            if (port != 0 || fatal is not null) return (port, fatal?.Code ?? AcceptCode.Ok, fatal?.Why ?? "");
        }
        return (0, AcceptCode.TemporaryResourceLimitation, $"no free port in test-ports {settings.TestPortLow}-{settings.TestPortHigh}");
    }

    sealed record BindFailure(AcceptCode Code, string Why);

    static (int Port, BindFailure? Fatal) TryBind(int port, Func<int, object> bind)
    {
        try
        {
            var engine = bind(port);
            return (engine is OwampTestSender s ? s.LocalEndPoint.Port : ((OwampTestReceiver)engine).LocalEndPoint.Port, null);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return (0, null);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
        {
            return (0, new BindFailure(AcceptCode.TemporaryResourceLimitation, $"cannot open a test socket: {e.Message}"));
        }
        catch (SocketException e)
        {
            return (0, new BindFailure(AcceptCode.InternalError, $"cannot bind port {port}: {e.Message}"));
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
        _c.LogRefusal($"owamp {_c.Remote}: Request-Session refused with Accept={(int)code} ({code.Describe()}): {reason}");
        return AcceptSession.Reject(code);
    }
}
