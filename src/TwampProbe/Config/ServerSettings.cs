using System.Net;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Config;

/// <summary>Everything the server side needs, from defaults, the config file and the command line.</summary>
public sealed record ServerSettings
{
    /// <summary>TCP 862, the TWAMP-Control well-known port (RFC 8545 §7).</summary>
    public const int ControlPort = 862;
    /// <summary>UDP 862, the TWAMP-Test receiver well-known port (RFC 8545 §5).</summary>
    public const int TestPort = 862;

    // --- static: need a restart ---
    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [new IPEndPoint(IPAddress.IPv6Any, ControlPort)];
    public string? KeyFilePath { get; init; }
    public KeyFile Keys { get; init; } = KeyFile.Empty;
    /// <summary>Modes offered in the Server-Greeting. Null: unauth, plus auth/enc/mixed when keys exist.</summary>
    public TwampModes? Modes { get; init; }
    public int TestPortLow { get; init; } = 18760;
    public int TestPortHigh { get; init; } = 19960;
    public IPEndPoint? LightListen { get; init; }
    public string? Interface { get; init; }
    /// <summary>PBKDF2 iterations announced in the greeting (RFC 4656 §3.1: power of 2, ≥ 1024).</summary>
    public uint Count { get; init; } = 2048;
    public int? ReflectorCpu { get; init; }
    public int? FifoPriority { get; init; }
    public bool LockMemory { get; init; }
    public int SocketBufferBytes { get; init; } = 4 << 20;

    // --- reloadable (SIGHUP) ---
    public ServerLimits Limits { get; init; } = new();

    /// <summary>RFC 7750 DSCP and ECN Monitoring offered alongside the security modes.</summary>
    public bool DscpEcnMonitoring { get; init; } = true;

    public TwampModes OfferedModes =>
        (Modes ?? (Keys.Count > 0 ? TwampModes.SecurityModes : TwampModes.Unauthenticated))
        | (DscpEcnMonitoring ? TwampModes.DscpEcnMonitoring : TwampModes.None);

    public bool InTestPortRange(int port) => port >= TestPortLow && port <= TestPortHigh;
}

/// <summary>Settings that SIGHUP may change without dropping sessions.</summary>
public sealed record ServerLimits
{
    /// <summary>SERVWAIT: idle control connections are dropped after this (RFC 5357 §3.1, default 900 s).</summary>
    public TimeSpan ServWait { get; init; } = TimeSpan.FromSeconds(900);
    /// <summary>REFWAIT: a started session with no packet for this long is ended (RFC 5357 §4.2, default 900 s).</summary>
    public TimeSpan RefWait { get; init; } = TimeSpan.FromSeconds(900);
    public int MaxSessions { get; init; } = 2048;
    public int MaxSessionsPerConnection { get; init; } = 256;
    public int MaxConnections { get; init; } = 256;
    public int MaxConnectionsPerPrefix { get; init; } = 32;
    /// <summary>IPv4 / IPv6 prefix lengths that group clients for <see cref="MaxConnectionsPerPrefix"/>.</summary>
    public int PerPrefixLengthV4 { get; init; } = 32;
    public int PerPrefixLengthV6 { get; init; } = 64;
    public int MaxPadding { get; init; } = 8900;
    /// <summary>Clients allowed per mode; empty list = everyone.</summary>
    public IReadOnlyDictionary<TwampModes, IReadOnlyList<AddressPrefix>> AllowedClients { get; init; } =
        new Dictionary<TwampModes, IReadOnlyList<AddressPrefix>>();
    public IReadOnlyList<AddressPrefix> LightAllow { get; init; } = [AddressPrefix.Parse("127.0.0.0/8"), AddressPrefix.Parse("::1/128")];
}
