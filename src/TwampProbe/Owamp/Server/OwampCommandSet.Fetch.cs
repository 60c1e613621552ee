using TwampProbe.Protocol.Crypto;
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

    async Task SendResultsAsync(OwampResult result, FetchSession fetch, CancellationToken ct)
    {
        // A snapshot: a running session's receiver keeps adding after this.
        var records = result.Records.ToArray();
        if (!fetch.IsComplete) records = Array.FindAll(records, r => fetch.Covers(r.SequenceNumber));
        bool finished = result.State != OwampResultState.Running;
        var skips = finished ? result.SkipRanges : [];
        var cipher = _c.Channel.Send;

        var ack = new byte[FetchAck.Size];
        new FetchAck(AcceptCode.Ok, finished, result.NextSeqno, (uint)skips.Count, (uint)records.Length).Write(ack);
        cipher.SealWithHmac(ack);
        await _c.Channel.Stream.WriteAsync(ack, ct).ConfigureAwait(false);

        // Parts 1-3: the reproduced request (its HMACs are this stream's, §3.9) and the skip ranges.
        var request = result.Reproduction;
        var head = new byte[request.Length + SessionData.SkipPartLength((uint)skips.Count)];
        request.Write(head);
        for (int i = 0; i < skips.Count; i++) skips[i].Write(head.AsSpan(request.Length + i * SkipRange.Size));
        RequestSession.Seal(cipher, head.AsSpan(0, request.Length));
        cipher.SealWithHmac(head.AsSpan(request.Length));
        await _c.Channel.Stream.WriteAsync(head, ct).ConfigureAwait(false);

        // Part 4: the records, zero padded to a block, in pieces (authenticated, then encrypted, §3.2).
        var chunk = new byte[RecordChunk * PacketRecord.Size];
        for (int at = 0; at < records.Length; at += RecordChunk)
        {
            int n = Math.Min(RecordChunk, records.Length - at);
            int length = (int)PacketRecord.PaddedLength(n);
            chunk.AsSpan(0, length).Clear();
            for (int i = 0; i < n; i++) records[at + i].Write(chunk.AsSpan(i * PacketRecord.Size, PacketRecord.Size));
            cipher.Authenticate(chunk.AsSpan(0, length));
            cipher.Encrypt(chunk.AsSpan(0, length));
            await _c.Channel.Stream.WriteAsync(chunk.AsMemory(0, length), ct).ConfigureAwait(false);
        }
        var hmac = new byte[ControlCipher.HmacLength];
        cipher.WriteHmac(hmac);
        cipher.Encrypt(hmac);
        await _c.Channel.Stream.WriteAsync(hmac, ct).ConfigureAwait(false);
        await _c.Channel.Stream.FlushAsync(ct).ConfigureAwait(false);
    }
}
