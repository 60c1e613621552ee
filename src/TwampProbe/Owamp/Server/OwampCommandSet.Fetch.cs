using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Control;

namespace TwampProbe.Owamp.Server;

public sealed partial class OwampCommandSet
{
    /// <summary>Records encrypted and written per step: 16 records are 400 octets, whole blocks.</summary>
    const int RecordChunk = 16 * 64;

    /// <summary>
    /// Fetch-Session (RFC 4656 §3.9) for a session received by this server, on this or any other
    /// control connection. "If a complete session is requested and the session is still in progress or
    /// has terminated in any way other than normally, the request to fetch session results MUST be
    /// denied"; a range returns "all packets received so far that fall into the requested range". The
    /// server "MUST respond with a Fetch-Ack", and with Accept = 0 "MUST immediately send" the data:
    /// the request reproduced, its slots, the skip ranges and the records, each part with its HMAC.
    /// Refusals (Accept = 1: unknown SID, complete fetch of a running or abnormal session; Accept = 3:
    /// during active measurements, §3.4) carry nothing else; the connection goes on.
    /// </summary>
    async Task HandleFetchAsync(byte[] firstBlock, CancellationToken ct)
    {
        var body = new byte[FetchSession.BodySize];
        firstBlock.CopyTo(body, 0);
        await _c.Channel.ReadBlocksAsync(body.AsMemory(OwampBlocks.Size), ct).ConfigureAwait(false);
        await _c.Channel.ReadAndVerifyHmacAsync("Fetch-Session", ct).ConfigureAwait(false);
        var fetch = FetchSession.Parse(body);
        var limits = _ctx.Settings.Limits;
        var result = _ctx.OwampResults.Find(fetch.Sid, limits, _c.Now);
        string sid = SessionId.ToHex(fetch.Sid);
        AcceptCode? refusal = null;
        if (_active)
        {
            Interlocked.Increment(ref _ctx.Counters.ProtocolErrors);
            _c.LogRefusal($"owamp {_c.Remote}: Fetch-Session while sessions are running (RFC 4656 §3.4): Fetch-Ack Accept=3");
            refusal = AcceptCode.NotSupported;
        }
        else if (result is null)
        {
            _c.LogRefusal($"owamp {_c.Remote}: Fetch-Session for unknown session {sid}: Fetch-Ack Accept=1");
            refusal = AcceptCode.Failure;
        }
        else if (fetch.IsComplete && result.State != OwampResultState.Finished)
        {
            _c.LogRefusal($"owamp {_c.Remote}: Fetch-Session for the complete session {sid}, which " +
                          (result.State == OwampResultState.Running ? "is still running" : $"did not end normally ({result.Why})") +
                          " (RFC 4656 §3.9: MUST be denied): Fetch-Ack Accept=1");
            refusal = AcceptCode.Failure;
        }
        if (refusal is { } code)
        {
            await WriteAsync(async () =>
            {
                var ack = new byte[FetchAck.Size];
                FetchAck.Reject(code).Write(ack);
                await _c.Channel.WriteWithHmacAsync(ack, ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            return;
        }
        _c.Touch();
        await WriteAsync(() => SendResultsAsync(result!, fetch, ct), ct).ConfigureAwait(false);
        LogDebug($"fetch of {sid} [{fetch.BeginSeq}, {fetch.EndSeq}] served");
        if (fetch.IsComplete && limits.OwampDeleteOnFetch) _ctx.OwampResults.Remove(result!);
    }

    /// <summary>
    /// The Fetch-Ack and the four parts of the session data (RFC 4656 §3.9), each part sealed in pieces
    /// (authenticated, then encrypted, §3.2) straight from the result: nothing proportional to the
    /// results is copied, so a peer that asks for them and never reads its socket (the sends block
    /// until SERVWAIT) holds a chunk of memory, not a copy of up to owamp-max-records-per-session records
    /// and slots — a table full of such peers would otherwise hold hundreds of megabytes.
    /// </summary>
    async Task SendResultsAsync(OwampResult result, FetchSession fetch, CancellationToken ct)
    {
        // A running session's receiver keeps appending; what is below this count does not change.
        var records = result.RecordsMemory;
        long selected = fetch.IsComplete ? records.Length : Covered(records.Span, fetch);
        bool finished = result.State != OwampResultState.Running;
        var skips = finished ? result.SkipRanges : [];
        var cipher = _c.Channel.Send;
        var stream = _c.Channel.Stream;

        var ack = new byte[FetchAck.Size];
        new FetchAck(AcceptCode.Ok, finished, result.NextSeqno, (uint)skips.Count, (uint)selected).Write(ack);
        cipher.SealWithHmac(ack);
        await stream.WriteAsync(ack, ct).ConfigureAwait(false);

        // Part 1: the reproduced request's preamble (its HMACs are this stream's, §3.9).
        var request = result.Reproduction;
        var preamble = new byte[RequestSession.PreambleSize];
        request.WritePreamble(preamble);
        cipher.SealWithHmac(preamble);
        await stream.WriteAsync(preamble, ct).ConfigureAwait(false);

        var chunk = new byte[RecordChunk * PacketRecord.Size];
        // Part 2: its slots (whole blocks), then their HMAC.
        var slots = request.Slots;
        const int slotsPerChunk = RecordChunk * PacketRecord.Size / ScheduleSlot.Size;
        for (int at = 0; at < slots.Count; at += slotsPerChunk)
        {
            int n = Math.Min(slotsPerChunk, slots.Count - at);
            for (int i = 0; i < n; i++) slots[at + i].Write(chunk.AsSpan(i * ScheduleSlot.Size, ScheduleSlot.Size));
            await SealAndWriteAsync(chunk.AsMemory(0, n * ScheduleSlot.Size)).ConfigureAwait(false);
        }
        await WriteHmacAsync().ConfigureAwait(false);

        // Part 3: the skip ranges, zero padded to a block (an HMAC over zero octets when there are none).
        const int skipsPerChunk = RecordChunk * PacketRecord.Size / SkipRange.Size;
        for (int at = 0; at < skips.Count; at += skipsPerChunk)
        {
            int n = Math.Min(skipsPerChunk, skips.Count - at);
            int length = (int)SkipRange.PaddedLength(n);
            chunk.AsSpan(0, length).Clear();
            for (int i = 0; i < n; i++) skips[at + i].Write(chunk.AsSpan(i * SkipRange.Size, SkipRange.Size));
            await SealAndWriteAsync(chunk.AsMemory(0, length)).ConfigureAwait(false);
        }
        await WriteHmacAsync().ConfigureAwait(false);

        // Part 4: the records of the range, zero padded to a block, in pieces.
        int next = 0;
        while (true)
        {
            int n = 0;
            var span = records.Span;
            for (; next < span.Length && n < RecordChunk; next++)
                if (fetch.IsComplete || fetch.Covers(span[next].SequenceNumber))
                    span[next].Write(chunk.AsSpan(n++ * PacketRecord.Size, PacketRecord.Size));
            if (n == 0) break;
            int length = (int)PacketRecord.PaddedLength(n);
            chunk.AsSpan(n * PacketRecord.Size, length - n * PacketRecord.Size).Clear();
            await SealAndWriteAsync(chunk.AsMemory(0, length)).ConfigureAwait(false);
        }
        await WriteHmacAsync().ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);

        async Task SealAndWriteAsync(Memory<byte> blocks)
        {
            cipher.Authenticate(blocks.Span);
            cipher.Encrypt(blocks.Span);
            await stream.WriteAsync(blocks, ct).ConfigureAwait(false);
        }

        async Task WriteHmacAsync()
        {
            var hmac = new byte[ControlCipher.HmacLength];
            cipher.WriteHmac(hmac);
            cipher.Encrypt(hmac);
            await stream.WriteAsync(hmac, ct).ConfigureAwait(false);
        }
    }

    static long Covered(ReadOnlySpan<PacketRecord> records, FetchSession fetch)
    {
        long n = 0;
        foreach (var r in records) if (fetch.Covers(r.SequenceNumber)) n++;
        return n;
    }
}
