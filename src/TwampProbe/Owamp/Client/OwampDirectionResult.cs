using System.Net;
using TwampProbe.Protocol.Wire.Owamp.Control;

namespace TwampProbe.Owamp.Client;

/// <summary>
/// One direction of an owping run: the packet records of its receiver (fetched from the server for the
/// send direction, our own for the receive direction, RFC 4656 §3.9 / §4.2), how many packets the
/// sender sent (Next Seqno less the skipped ones, from its Stop-Sessions record), and why the results
/// are missing or invalid, if they are.
/// </summary>
public sealed record OwampDirectionResult
{
    /// <summary>"send" (client → server) or "receive" (server → client).</summary>
    public required string Name { get; init; }
    public required byte[] Sid { get; init; }
    public required IPEndPoint From { get; init; }
    public required IPEndPoint To { get; init; }
    public required uint NextSeqno { get; init; }
    public required IReadOnlyList<SkipRange> SkipRanges { get; init; }
    public required IReadOnlyList<PacketRecord> Records { get; init; }
    /// <summary>Null when the records are valid; else why they are missing or invalid.</summary>
    public string? Error { get; init; }
    /// <summary>Test packets our receiver discarded (receive direction; 0 for the fetched one).</summary>
    public long Dropped { get; init; }
    /// <summary>TOS / traffic class the packets arrived with (receive direction only; −1 unknown).</summary>
    public int TrafficClass { get; init; } = -1;
    public bool TrafficClassVaried { get; init; }

    /// <summary>Packets actually sent: Next Seqno less the skipped sequence numbers (RFC 4656 §3.8).</summary>
    public long PacketsSent => NextSeqno - SkipRanges.Sum(r => (long)r.Last - r.First + 1);
}
