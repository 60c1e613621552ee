using System.Net;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Cli;

public sealed record PingOptions
{
    public required string Target { get; init; }
    public int Count { get; init; } = 100;
    public double IntervalSeconds { get; init; } = 0.1;
    public int? Padding { get; init; }
    public int Dscp { get; init; }
    public TwampModes[]? Modes { get; init; }
    public string? Identity { get; init; }
    public string? KeyFile { get; init; }
    public int RequestedPort { get; init; }
    public double LossTimeoutSeconds { get; init; } = 2;
    public IPAddress? Source { get; init; }
    public int Ttl { get; init; } = 255;
    public bool Light { get; init; }
    public bool ZeroPadding { get; init; }
    public bool Json { get; init; }
    public bool PerPacket { get; init; }
    public uint MaxCount { get; init; } = ServerGreeting.DefaultMaximumCount;
    public int? Cpu { get; init; }
    public int Ecn { get; init; }
    public bool DscpEcnMonitoring { get; init; } = true;

    public static PingOptions Parse(string[] args)
    {
        var r = new ArgReader(args);
        var o = new Builder();
        while (r.Next(out var flag))
        {
            switch (flag)
            {
                case "-c": o.Count = r.Int(flag, 1, 100_000_000); break;
                case "-i": o.Interval = r.Double(flag, 0, 3600); break;
                case "-s": o.Padding = r.Int(flag, 0, 8900); break;
                case "-D": o.Dscp = r.Int(flag, 0, 63); break;
                case "-m":
                    if (!TwampModesExtensions.TryParseList(r.Value(flag), out var modes, out var err)) throw new UsageException($"-m: {err}");
                    o.Modes = modes;
                    break;
                case "-u": o.Identity = r.Value(flag); break;
                case "-k": o.KeyFile = r.Value(flag); break;
                case "-P": o.Port = r.Int(flag, 1, 65535); break;
                case "-L": o.LossTimeout = r.Double(flag, 0.01, 3600); break;
                case "-S":
                    var s = r.Value(flag);
                    if (!IPAddress.TryParse(s, out var src)) throw new UsageException($"-S: '{s}' is not an address");
                    o.Source = src;
                    break;
                case "--ttl": o.Ttl = r.Int(flag, 1, 255); break;
                case "--cpu": o.Cpu = r.Int(flag, 0, 1023); break;
                case "--ecn": o.Ecn = r.Int(flag, 0, 3); break;
                case "--no-dscp-ecn": r.NoValue(flag); o.NoDscpEcn = true; break;
                case "--max-count": o.MaxCount = (uint)r.Int(flag, 1024, int.MaxValue); break;
                case "--light": r.NoValue(flag); o.Light = true; break;
                case "--zero-padding": r.NoValue(flag); o.ZeroPadding = true; break;
                case "--json": r.NoValue(flag); o.Json = true; break;
                case "-R": r.NoValue(flag); o.PerPacket = true; break;
                default: throw new UsageException($"ping: unknown option {flag}");
            }
        }
        if (r.Positional.Count != 1) throw new UsageException("ping needs exactly one HOST[:PORT]");
        if (o.Light && o.Modes is { } m && m.Any(x => x != TwampModes.Unauthenticated))
            throw new UsageException("--light works in unauthenticated mode only (RFC 5357 Appendix I)");
        if (o.Identity is not null && o.KeyFile is null) throw new UsageException("-u needs -k KEYFILE (pfs format: identity hex-passphrase)");
        var defaultModes = o.Identity is null
            ? [TwampModes.Unauthenticated]
            : new[] { TwampModes.Encrypted, TwampModes.Authenticated, TwampModes.Mixed, TwampModes.Unauthenticated };
        return new PingOptions
        {
            Target = r.Positional[0], Count = o.Count, IntervalSeconds = o.Interval, Padding = o.Padding, Dscp = o.Dscp,
            Modes = o.Modes ?? defaultModes, Identity = o.Identity, KeyFile = o.KeyFile, RequestedPort = o.Port,
            LossTimeoutSeconds = o.LossTimeout, Source = o.Source, Ttl = o.Ttl, Light = o.Light, ZeroPadding = o.ZeroPadding,
            Json = o.Json, PerPacket = o.PerPacket, MaxCount = o.MaxCount, Cpu = o.Cpu,
            Ecn = o.Ecn, DscpEcnMonitoring = !o.NoDscpEcn,
        };
    }

    sealed class Builder
    {
        public int Count = 100, Dscp, Port, Ttl = 255, Ecn;
        public bool NoDscpEcn;
        public int? Padding, Cpu;
        public double Interval = 0.1, LossTimeout = 2;
        public TwampModes[]? Modes;
        public string? Identity, KeyFile;
        public IPAddress? Source;
        public bool Light, ZeroPadding, Json, PerPacket;
        public uint MaxCount = ServerGreeting.DefaultMaximumCount;
    }
}
