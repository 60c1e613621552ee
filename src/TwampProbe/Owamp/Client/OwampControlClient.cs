using System.Net;
using TwampProbe.Control;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;

namespace TwampProbe.Owamp.Client;

/// <summary>
/// The Control-Client side of OWAMP-Control (RFC 4656 §3): the connection set-up, mode choice, key
/// derivation and control crypto are <see cref="ControlClient"/>'s (one implementation for TWAMP and
/// OWAMP); this adds OWAMP's command set — Request-Session with schedule slots in both directions,
/// Start-Sessions, the two-sided Stop-Sessions with session records, and Fetch-Session.
/// <para>Reads and writes are separate directions with separate CBC streams: one task may wait for the
/// server's Stop-Sessions (<see cref="ReadStopSessionsAsync"/>) while another writes ours.</para>
/// </summary>
public sealed class OwampControlClient : IDisposable
{
    /// <summary>OWAMP knows modes 1, 2 and 4 (RFC 4656 §3.1); mode 8 is TWAMP's (RFC 5618).</summary>
    public static readonly TwampModes[] SupportedModes = [TwampModes.Encrypted, TwampModes.Authenticated, TwampModes.Unauthenticated];

    readonly ControlClient _control;

    OwampControlClient(ControlClient control)
    {
        _control = control;
        // OWAMP has no mode extensions: ask for no RFC 7750 bit even if a server offers it.
        _control.RequestDscpEcnMonitoring = false;
    }

    internal OwampControlClient(Stream stream, IPEndPoint local, IPEndPoint remote) : this(new ControlClient(stream, local, remote)) { }

    public TwampModes Mode => _control.Mode;
    public TwampModes ServerModes => _control.ServerModes;
    public SessionKeys? Keys => _control.Keys;
    public IPEndPoint LocalEndPoint => _control.LocalEndPoint;
    public IPEndPoint RemoteEndPoint => _control.RemoteEndPoint;
    public NtpTimestamp ServerStartTime => _control.ServerStartTime;
    internal ControlClient Control => _control;
    ControlChannel Channel => _control.Channel;

    /// <summary>Connects to OWAMP-Control (TCP 861 by default, RFC 4656 §2, RFC 8545 §7).</summary>
    public static async Task<OwampControlClient> ConnectAsync(IPEndPoint server, TimeSpan timeout, CancellationToken ct, IPAddress? local = null) =>
        new(await ControlClient.ConnectAsync(server, timeout, ct, local).ConfigureAwait(false));

    /// <summary>Greeting, Set-Up-Response, Server-Start (RFC 4656 §3.1) with the first offered mode of <paramref name="preference"/>.</summary>
    public Task SetupAsync(IReadOnlyList<TwampModes> preference, string? identity, KeyFile keys, uint maximumCount, CancellationToken ct)
    {
        if (preference.Any(m => m == TwampModes.Mixed || !m.IsSingleSecurityMode()))
            throw new ArgumentException("OWAMP modes are unauth, auth and enc (RFC 4656 §3.1)", nameof(preference));
        return _control.SetupAsync(preference, identity, keys, maximumCount, ct);
    }

    /// <summary>
    /// Sends Request-Session (preamble + HMAC, slots + HMAC, RFC 4656 §3.5) and reads Accept-Session.
    /// A refusal (Accept ≠ 0) is returned, not thrown: "the client MAY close" — the caller decides.
    /// </summary>
    public async Task<AcceptSession> RequestSessionAsync(RequestSession request, CancellationToken ct)
    {
        var bytes = new byte[request.Length];
        request.Write(bytes);
        RequestSession.Seal(Channel.Send, bytes);
        await Channel.WriteClearAsync(bytes, ct).ConfigureAwait(false);
        var body = new byte[AcceptSession.BodySize];
        await Channel.ReadBlocksAsync(body, ct).ConfigureAwait(false);
        await Channel.ReadAndVerifyHmacAsync("Accept-Session", ct).ConfigureAwait(false);
        return AcceptSession.Parse(body);
    }

    /// <summary>Start-Sessions / Start-Ack (RFC 4656 §3.7): the same 32-octet messages as in TWAMP.</summary>
    public Task<AcceptCode> StartSessionsAsync(CancellationToken ct) => _control.StartSessionsAsync(ct);

    /// <summary>
    /// Our Stop-Sessions (RFC 4656 §3.8): "the Control-Client MUST account for each accepted
    /// Request-Session where Conf-Receiver was set" — one record per send session of ours, with its
    /// Next Seqno and Skip Ranges.
    /// </summary>
    public async Task SendStopSessionsAsync(AcceptCode accept, IReadOnlyList<StopSessionRecord> sendSessions, CancellationToken ct)
    {
        var message = new StopSessions(accept, sendSessions);
        var bytes = new byte[message.Length];
        message.Write(bytes);
        await Channel.WriteWithHmacAsync(bytes, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for the server's Stop-Sessions, which it may send before or after ours (RFC 4656 §3.8).
    /// Between Start-Ack and Stop-Sessions nothing else may come: anything else is a protocol violation.
    /// <paramref name="maximumSessions"/> bounds what is read: the server may list only its own send sessions.
    /// </summary>
    public async Task<StopSessions> ReadStopSessionsAsync(int maximumSessions, CancellationToken ct)
    {
        var header = new byte[StopSessions.HeaderSize];
        await Channel.ReadBlocksAsync(header, ct).ConfigureAwait(false);
        if (header[0] != (byte)OwampCommand.StopSessions)
            throw new ControlProtocolException($"the server sent command {header[0]} while the sessions ran (only Stop-Sessions may come, RFC 4656 §3.4)");
        var (accept, count) = StopSessions.ParseHeader(header);
        // RFC 4656 §3.8: a wrong Number of Sessions invalidates the message; the connection SHOULD be closed.
        if (count > maximumSessions)
            throw new ControlProtocolException($"the server's Stop-Sessions lists {count} session(s); it sends at most {maximumSessions}");
        var records = new List<StopSessionRecord>();
        for (uint i = 0; i < count; i++)
        {
            var first = new byte[StopSessionRecord.MinimumSize];
            await Channel.ReadBlocksAsync(first, ct).ConfigureAwait(false);
            uint skips = StopSessionRecord.ReadSkipCount(first);
            if (skips > MaximumSkipRanges) throw new ControlProtocolException($"the server's Stop-Sessions announces {skips} skip ranges");
            var record = new byte[StopSessionRecord.SizeFor(skips)];
            first.CopyTo(record, 0);
            if (record.Length > first.Length) await Channel.ReadBlocksAsync(record.AsMemory(first.Length), ct).ConfigureAwait(false);
            records.Add(StopSessionRecord.Parse(record));
        }
        await Channel.ReadAndVerifyHmacAsync("Stop-Sessions", ct).ConfigureAwait(false);
        return new StopSessions(accept, records);
    }

    /// <summary>The most skip ranges or records this client reads in one message (a bound against a hostile server's counts).</summary>
    public const uint MaximumSkipRanges = 1 << 20;

    /// <summary>
    /// Fetch-Session (RFC 4656 §3.9): sends the request and reads Fetch-Ack and, with Accept = 0, the four
    /// HMAC-protected parts of the session data. More than <paramref name="maximumRecords"/> records is a
    /// protocol violation (the connection is then unusable and closed by the caller).
    /// </summary>
    public async Task<(FetchAck Ack, SessionData? Data)> FetchSessionAsync(FetchSession fetch, uint maximumRecords, CancellationToken ct)
    {
        var bytes = new byte[FetchSession.Size];
        fetch.Write(bytes);
        await Channel.WriteWithHmacAsync(bytes, ct).ConfigureAwait(false);
        var ackBody = new byte[FetchAck.BodySize];
        await Channel.ReadBlocksAsync(ackBody, ct).ConfigureAwait(false);
        await Channel.ReadAndVerifyHmacAsync("Fetch-Ack", ct).ConfigureAwait(false);
        var ack = FetchAck.Parse(ackBody);
        if (ack.Accept != AcceptCode.Ok) return (ack, null);
        if (ack.Records > maximumRecords) throw new ControlProtocolException($"Fetch-Ack announces {ack.Records} records; at most {maximumRecords} were expected");
        if (ack.SkipRanges > MaximumSkipRanges) throw new ControlProtocolException($"Fetch-Ack announces {ack.SkipRanges} skip ranges");

        // Part 1: the reproduced Request-Session preamble; its Number of Schedule Slots sizes part 2.
        var preamble = new byte[RequestSession.PreambleBodySize];
        await Channel.ReadBlocksAsync(preamble, ct).ConfigureAwait(false);
        await Channel.ReadAndVerifyHmacAsync("Fetch-Session data (Request-Session)", ct).ConfigureAwait(false);
        var request = RequestSession.ParsePreamble(preamble);
        if (request.NumberOfSlots is 0 or > MaximumSkipRanges) throw new ControlProtocolException($"the reproduced Request-Session has {request.NumberOfSlots} slots");
        var slots = new byte[request.NumberOfSlots * 16];
        await Channel.ReadBlocksAsync(slots, ct).ConfigureAwait(false);
        await Channel.ReadAndVerifyHmacAsync("Fetch-Session data (slots)", ct).ConfigureAwait(false);
        // Parts 3 and 4: skip ranges and records, each zero-padded to whole blocks; with none, the HMAC covers zero octets.
        var skipBytes = new byte[SkipRange.PaddedLength(ack.SkipRanges)];
        await ReadPartAsync(skipBytes, "Fetch-Session data (skip ranges)", ct).ConfigureAwait(false);
        var recordBytes = new byte[PacketRecord.PaddedLength(ack.Records)];
        await ReadPartAsync(recordBytes, "Fetch-Session data (records)", ct).ConfigureAwait(false);

        var skips = new SkipRange[ack.SkipRanges];
        for (int i = 0; i < skips.Length; i++) skips[i] = SkipRange.Read(skipBytes.AsSpan(i * SkipRange.Size));
        var records = new PacketRecord[ack.Records];
        for (int i = 0; i < records.Length; i++) records[i] = PacketRecord.Read(recordBytes.AsSpan(i * PacketRecord.Size, PacketRecord.Size));
        return (ack, new SessionData(request with { Slots = RequestSession.ReadSlots(slots, (int)request.NumberOfSlots) }, skips, records));
    }

    async Task ReadPartAsync(byte[] part, string what, CancellationToken ct)
    {
        if (part.Length > 0) await Channel.ReadBlocksAsync(part, ct).ConfigureAwait(false);
        await Channel.ReadAndVerifyHmacAsync(what, ct).ConfigureAwait(false);
    }

    public void Dispose() => _control.Dispose();
}
