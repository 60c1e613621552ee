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
    /// <summary>"file:line" of the <c>keyfile</c> directive, so key-file errors name the line that named the file.</summary>
    public string? KeyFileOrigin { get; init; }
    /// <summary><c>keyfile none</c>: not even the appliance's default key file.</summary>
    public bool NoKeyFile { get; init; }
    public KeyFile Keys { get; init; } = KeyFile.Empty;
    /// <summary>Modes offered in the Server-Greeting. Null: unauth, plus auth/enc/mixed when keys exist.</summary>
    public TwampModes? Modes { get; init; }
    /// <summary>"file:line" (or serve flag) of the <c>modes</c> directive, for errors about the modes.</summary>
    public string? ModesOrigin { get; init; }
    public int TestPortLow { get; init; } = 18760;
    public int TestPortHigh { get; init; } = 19960;
    public IPEndPoint? LightListen { get; init; }
    /// <summary>The TWAMP-Test port bound at start-up on every listen address (RFC 8545 §5); 0: none.</summary>
    public int WellKnownTestPort { get; init; } = TestPort;
    public string? Interface { get; init; }
    /// <summary>PBKDF2 iterations announced in the greeting (RFC 4656 §3.1: power of 2, ≥ 1024).</summary>
    public uint Count { get; init; } = 2048;
    public int? ReflectorCpu { get; init; }
    public int? FifoPriority { get; init; }
    public bool LockMemory { get; init; }
    public int SocketBufferBytes { get; init; } = 4 << 20;

    // --- static: reflector threads and how they wait (issue 9 §4) ---
    /// <summary><c>reflector-poll</c>: epoll (default, no CPU when idle) or busy (a core for microsecond turnaround).</summary>
    public Sessions.ReflectorPollMode ReflectorPoll { get; init; } = Sessions.ReflectorPollMode.Epoll;
    /// <summary><c>reflector-threads</c>: sessions are spread over this many reflector threads, thread i pinned to
    /// <see cref="ReflectorCpu"/> + i when a CPU is configured.</summary>
    public int ReflectorThreads { get; init; } = 1;
    /// <summary><c>reflector-batch-us</c>, in ns: how much later than alone a reply may leave because it shares a
    /// sendmmsg with others (T3 accuracy against syscalls per reply, issue 9 §1).</summary>
    public long ReflectorBatchBoundNs { get; init; } = Sessions.ReflectorOptions.DefaultT3BatchBoundNs;

    // --- reloadable (SIGHUP) ---
    public ServerLimits Limits { get; init; } = new();

    /// <summary>RFC 7750 DSCP and ECN Monitoring offered alongside the security modes.</summary>
    public bool DscpEcnMonitoring { get; init; } = true;

    public TwampModes OfferedModes =>
        (Modes ?? (Keys.Count > 0 ? TwampModes.SecurityModes : TwampModes.Unauthenticated))
        | (DscpEcnMonitoring ? TwampModes.DscpEcnMonitoring : TwampModes.None);

    public bool InTestPortRange(int port) => port >= TestPortLow && port <= TestPortHigh;

    // --- OWAMP (RFC 4656) beside TWAMP: TCP 861 for OWAMP-Control, UDP 861 for OWAMP-Test (RFC 8545 §7) ---

    /// <summary>TCP 861, the OWAMP-Control well-known port (RFC 4656 §2, RFC 8545 §7).</summary>
    public const int OwampControlPort = 861;
    /// <summary>UDP 861, the OWAMP-Test receiver well-known port (RFC 8545 §5.2).</summary>
    public const int OwampTestPort = 861;
    /// <summary><c>owamp no</c> turns OWAMP-Control off. Settings built in code (tests) leave it off;
    /// the configuration file's default is on.</summary>
    public bool Owamp { get; init; }
    /// <summary>OWAMP-Control listen addresses (<c>owamp-listen</c>); empty: port 861 on every
    /// <see cref="Listen"/> address, and then a port that cannot be had only turns OWAMP off.</summary>
    public IReadOnlyList<IPEndPoint> OwampListen { get; init; } = [];
    /// <summary>The UDP port a Request-Session may ask to receive on besides the test-port range
    /// (RFC 8545 §5.2); 0: none (tests).</summary>
    public int OwampWellKnownTestPort { get; init; } = OwampTestPort;

    /// <summary>The port of the default OWAMP-Control listeners (861; tests use another).</summary>
    public int OwampDefaultPort { get; init; } = OwampControlPort;

    /// <summary>Where OWAMP-Control listens and whether each address was configured (a default one may fail quietly).</summary>
    public IReadOnlyList<(IPEndPoint EndPoint, bool Configured)> OwampEndPoints =>
        !Owamp ? [] : OwampListen.Count > 0 ? [.. OwampListen.Select(e => (e, true))]
        : [.. Listen.Select(e => (new IPEndPoint(e.Address, OwampDefaultPort), false)).Distinct()];
}

/// <summary>Settings that SIGHUP may change without dropping sessions.</summary>
public sealed record ServerLimits
{
    public const int DefaultMaxSessions = 2048;
    public const int DefaultMaxConnections = 256;
    /// <summary>Descriptors kept for everything else: standard streams, listeners, epoll, eventfds,
    /// syslog, LEDs, the runtime's own, and a margin for accept bursts.</summary>
    public const int DescriptorReserve = 64;

    /// <summary>SERVWAIT: idle control connections are dropped after this (RFC 5357 §3.1, default 900 s).</summary>
    public TimeSpan ServWait { get; init; } = TimeSpan.FromSeconds(900);
    /// <summary>REFWAIT: a started session with no packet for this long is ended (RFC 5357 §4.2, default 900 s).</summary>
    public TimeSpan RefWait { get; init; } = TimeSpan.FromSeconds(900);
    public int MaxSessions { get; init; } = DefaultMaxSessions;
    public int MaxSessionsPerConnection { get; init; } = 256;
    public int MaxConnections { get; init; } = DefaultMaxConnections;
    public int MaxConnectionsPerPrefix { get; init; } = 32;
    /// <summary>Sessions all connections from one client prefix may hold together; null: a quarter
    /// of <see cref="MaxSessions"/>, at most 128.</summary>
    public int? MaxSessionsPerPrefix { get; init; }
    public int EffectiveMaxSessionsPerPrefix => MaxSessionsPerPrefix ?? Math.Clamp(MaxSessions / 4, 1, 128);
    /// <summary>Set when the file or command line gave max-sessions / max-connections: then they are
    /// not fitted to the descriptor limit (only warned about).</summary>
    public bool MaxSessionsConfigured { get; init; }
    public bool MaxConnectionsConfigured { get; init; }
    /// <summary>Time a new control connection has to complete Set-Up-Response (and its Server-Start);
    /// connections that connect and say nothing are closed then, not after SERVWAIT.</summary>
    public TimeSpan SetupTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Largest session Timeout honoured: how long a stopped session keeps reflecting (and
    /// holds its socket and its share of max-sessions), even once its client has gone.</summary>
    public TimeSpan MaxTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// Sender Addresses other than the control client's that sessions may reflect to (RFC 4656 §6.2:
    /// by default such requests MUST be declined). Empty: only the control client.
    /// </summary>
    public IReadOnlyList<AddressPrefix> AllowThirdParty { get; init; } = [];
    /// <summary>IPv4 / IPv6 prefix lengths that group clients for <see cref="MaxConnectionsPerPrefix"/>.</summary>
    public int PerPrefixLengthV4 { get; init; } = 32;
    public int PerPrefixLengthV6 { get; init; } = 64;
    public int MaxPadding { get; init; } = 8900;
    /// <summary>Clients allowed per mode; empty list = everyone.</summary>
    public IReadOnlyDictionary<TwampModes, IReadOnlyList<AddressPrefix>> AllowedClients { get; init; } =
        new Dictionary<TwampModes, IReadOnlyList<AddressPrefix>>();
    public IReadOnlyList<AddressPrefix> LightAllow { get; init; } = [AddressPrefix.Parse("127.0.0.0/8"), AddressPrefix.Parse("::1/128")];

    // --- OWAMP results (RFC 4656 §3.9, §6.5: resource use limitations) ---

    /// <summary>Records one receive session may store; a Request-Session for more packets gets Accept = 4.</summary>
    public int OwampMaxRecordsPerSession { get; init; } = 100_000;
    /// <summary>Records all receive sessions may hold together (running and kept; each schedule slot counts as one); a request that would
    /// exceed it gets Accept = 5 (space frees as results expire or are fetched).</summary>
    public int OwampMaxRecords { get; init; } = 1_000_000;
    /// <summary>Bits per second the mean rates of all OWAMP test sessions (sent and received) may add up to
    /// (RFC 4656 §6.5: a server MUST be able to limit network capacity); beyond: Accept = 5. 0 = unlimited.</summary>
    public long OwampMaxBandwidth { get; init; } = 10_000_000;
    /// <summary>How long the results of a finished receive session stay available for Fetch-Session.</summary>
    public TimeSpan OwampKeepResults { get; init; } = TimeSpan.FromSeconds(600);
    /// <summary>Delete a session's results once a Fetch-Session has returned the complete session.</summary>
    public bool OwampDeleteOnFetch { get; init; }
}

public static class DescriptorBudget
{
    /// <summary>The soft RLIMIT_NOFILE of this process.</summary>
    public static long CurrentLimit() => TwampProbe.Linux.Security.Descriptors.Limit;

    /// <summary>
    /// Each control connection costs one descriptor and each session at most one (its own test
    /// socket; sessions sharing a port cost none). Limits not set in the configuration are lowered so
    /// that connections + sessions + <see cref="ServerLimits.DescriptorReserve"/> fit in
    /// <paramref name="descriptorLimit"/>; configured ones are kept and reported in <paramref name="warning"/>.
    /// </summary>
    public static ServerLimits Fit(ServerLimits limits, long descriptorLimit, out string? warning)
    {
        warning = null;
        long budget = Math.Max(16, descriptorLimit - ServerLimits.DescriptorReserve);
        if (limits.MaxConnections + (long)limits.MaxSessions <= budget) return limits;
        int connections = limits.MaxConnections, sessions = limits.MaxSessions;
        if (!limits.MaxConnectionsConfigured)
            connections = (int)Math.Clamp(budget / 9, 4, limits.MaxConnections);
        if (!limits.MaxSessionsConfigured)
            sessions = (int)Math.Clamp(budget - connections, 4, limits.MaxSessions);
        if (connections + (long)sessions > budget)
            warning = $"max-connections {connections} + max-sessions {sessions} exceed the descriptor limit {descriptorLimit} " +
                      $"less a reserve of {ServerLimits.DescriptorReserve}: raise the open-files limit (LimitNOFILE, ulimit -n) or lower them";
        return limits with { MaxConnections = connections, MaxSessions = sessions };
    }
}
