using System.Net;
using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Config;

/// <summary>
/// twampprobe.conf: one directive per line, <c>#</c> comments, in the style of owampd.conf and
/// chrony.conf. Each directive is either static (read at start) or reloadable (SIGHUP). Every error
/// names file:line, the directive and the accepted values.
/// </summary>
public static class ConfigFile
{
    public const string DefaultPath = "/etc/twampprobe/twampprobe.conf";

    delegate void Apply(Builder b, string[] args, Func<string, ConfigException> fail);

    sealed record Directive(string Name, bool Reloadable, string Usage, Apply Apply);

    /// <summary>Mutable state while reading a file.</summary>
    public sealed class Builder
    {
        public ServerSettings Server = new();
        public ServerLimits Limits = new();
        public AppSettings App = new();
        public readonly List<IPEndPoint> Listen = [];
        public readonly Dictionary<TwampModes, List<AddressPrefix>> Allowed = [];
        public List<AddressPrefix>? LightAllow;
        public List<AddressPrefix>? ThirdParty;
        public readonly List<IPEndPoint> OwampListen = [];
        /// <summary>Where each <see cref="Listen"/> / <see cref="OwampListen"/> entry was given, for errors about duplicates.</summary>
        public readonly List<string> ListenOrigins = [], OwampListenOrigins = [];
        /// <summary>Where each LED role was configured, for an error about a role given twice.</summary>
        public readonly Dictionary<LedRole, string> LedOrigins = [];
        public string BaseDirectory = ".";
        /// <summary>"file:line" of the directive being applied (or the serve flag it came from).</summary>
        public string Origin = "";
        /// <summary>An error about the directive being applied, naming its file:line (or flag) and directive, without the usage.</summary>
        public Func<string, ConfigException> Problem = p => new ConfigException(p);
    }

    static readonly Directive[] Directives =
    [
        new("listen", false, "ADDR[:PORT] (repeatable; default [::]:862)", (b, a, f) =>
        {
            One(a, f);
            if (!EndpointText.TryParse(a[0], ServerSettings.ControlPort, out var ep, out var e, out var dns)) throw ConfigException.Resolving(f(e!), dns);
            AddListener(b.Listen, b.ListenOrigins, ep, b.Origin, b.Problem);
        }),
        new("keyfile", true, "PATH of a pfs key file (identity hex-passphrase per line), or none", (b, a, f) =>
        {
            One(a, f);
            b.Server = a[0] == "none"
                ? b.Server with { KeyFilePath = null, NoKeyFile = true, KeyFileOrigin = b.Origin }
                : b.Server with { KeyFilePath = Path.IsPathRooted(a[0]) ? a[0] : Path.Combine(b.BaseDirectory, a[0]), NoKeyFile = false, KeyFileOrigin = b.Origin };
        }),
        new("modes", false, "LIST of unauth, auth, enc, mixed (e.g. 'unauth,mixed')", (b, a, f) =>
        {
            if (!TwampModesExtensions.TryParseList(string.Join(",", a), out var modes, out var e)) throw f(e!);
            b.Server = b.Server with { Modes = modes.Aggregate(TwampModes.None, (x, y) => x | y), ModesOrigin = b.Origin };
        }),
        new("test-ports", false, "LO-HI, e.g. 18760-19960", (b, a, f) =>
        {
            One(a, f);
            var p = a[0].Split('-');
            if (p.Length != 2 || !int.TryParse(p[0], out int lo) || !int.TryParse(p[1], out int hi) || lo < 1 || hi > 65535 || lo > hi)
                throw f($"'{a[0]}' is not a port range LO-HI within 1-65535");
            b.Server = b.Server with { TestPortLow = lo, TestPortHigh = hi };
        }),
        new("light-listen", false, "ADDR:PORT of the TWAMP Light reflector (off when absent)", (b, a, f) =>
        {
            One(a, f);
            if (!EndpointText.TryParse(a[0], ServerSettings.TestPort, out var ep, out var e, out var dns)) throw ConfigException.Resolving(f(e!), dns);
            b.Server = b.Server with { LightListen = ep };
        }),
        new("interface", false, "NAME of the measurement interface (for hardware timestamps)", (b, a, f) =>
        {
            One(a, f);
            b.Server = b.Server with { Interface = a[0] };
        }),
        new("count", false, "PBKDF2 iterations in the greeting: a power of 2, 1024..1048576", (b, a, f) =>
        {
            uint c = (uint)Int(a, f, 1024, 1 << 20);
            if ((c & (c - 1)) != 0) throw f($"{c} is not a power of 2 (RFC 4656 §3.1)");
            b.Server = b.Server with { Count = c };
        }),
        new("reflector-cpu", false, "CPU number to pin the reflector thread to", (b, a, f) =>
            b.Server = b.Server with { ReflectorCpu = Int(a, f, 0, 1023) }),
        new("sched-fifo", false, "PRIORITY 1..99: run the reflector thread SCHED_FIFO", (b, a, f) =>
            b.Server = b.Server with { FifoPriority = Int(a, f, 1, 99) }),
        new("mlock", false, "yes|no: lock memory (mlockall)", (b, a, f) =>
            b.Server = b.Server with { LockMemory = Bool(a, f) }),
        new("socket-buffer", false, "BYTES of UDP receive/send buffer per test socket (65536..67108864)", (b, a, f) =>
            b.Server = b.Server with { SocketBufferBytes = Int(a, f, 65536, 64 << 20) }),
        // --- reflector threads and how they wait (issue 9 §4) ---
        new("reflector-poll", false, "epoll|busy (how reflector threads wait; busy spins on the reflector CPU for microsecond turnaround; default epoll)", (b, a, f) =>
        {
            One(a, f);
            b.Server = b.Server with { ReflectorPoll = a[0].ToLowerInvariant() switch
            {
                "epoll" => Sessions.ReflectorPollMode.Epoll,
                "busy" => Sessions.ReflectorPollMode.Busy,
                _ => throw f($"'{a[0]}' is not epoll or busy"),
            } };
        }),
        new("reflector-threads", false, "N (reflector threads 1..64 that sessions are spread over, thread i on reflector-cpu + i; default 1)", (b, a, f) =>
            b.Server = b.Server with { ReflectorThreads = Int(a, f, 1, 64) }),
        new("reflector-batch-us", false, "MICROSECONDS 0..1000 a reply may leave later than alone because it shares a sendmmsg (0: a send per reply; more: fewer syscalls at high rates, T3 up to that much earlier than departure; default 2)", (b, a, f) =>
            b.Server = b.Server with { ReflectorBatchBoundNs = Int(a, f, 0, 1000) * 1000L }),
        // --- end of reflector threads ---
        new("servwait", true, "SECONDS an idle control connection is kept (RFC 5357 SERVWAIT, default 900)", (b, a, f) =>
            b.Limits = b.Limits with { ServWait = TimeSpan.FromSeconds(Int(a, f, 1, 86400)) }),
        new("refwait", true, "SECONDS a silent session is kept (RFC 5357 REFWAIT, default 900)", (b, a, f) =>
            b.Limits = b.Limits with { RefWait = TimeSpan.FromSeconds(Int(a, f, 1, 86400)) }),
        new("max-sessions", true, "N concurrent sessions in all (default 2048, lowered to fit the open-files limit)", (b, a, f) =>
            b.Limits = b.Limits with { MaxSessions = Int(a, f, 1, 100000), MaxSessionsConfigured = true }),
        new("max-sessions-per-prefix", true, "N sessions all connections from one client prefix may hold (default max-sessions/4, at most 128)", (b, a, f) =>
            b.Limits = b.Limits with { MaxSessionsPerPrefix = Int(a, f, 1, 100000) }),
        new("max-sessions-per-connection", true, "N sessions one control connection may hold (default 256)", (b, a, f) =>
            b.Limits = b.Limits with { MaxSessionsPerConnection = Int(a, f, 1, 100000) }),
        new("max-connections", true, "N concurrent control connections (default 256, lowered to fit the open-files limit)", (b, a, f) =>
            b.Limits = b.Limits with { MaxConnections = Int(a, f, 1, 100000), MaxConnectionsConfigured = true }),
        new("setup-timeout", true, "SECONDS a new control connection has to complete set-up (default 15)", (b, a, f) =>
            b.Limits = b.Limits with { SetupTimeout = TimeSpan.FromSeconds(Int(a, f, 1, 3600)) }),
        new("max-timeout", true, "SECONDS: the largest session Timeout honoured after Stop-Sessions (default 60)", (b, a, f) =>
            b.Limits = b.Limits with { MaxTimeout = TimeSpan.FromSeconds(Int(a, f, 1, 3600)) }),
        new("allow-third-party", true, "PREFIX... Sender Addresses other than the control client's that sessions may reflect to (default none, RFC 4656 §6.2)", (b, a, f) =>
            (b.ThirdParty ??= []).AddRange(Prefixes(a, f))),
        new("max-connections-per-prefix", true, "N [V4LEN [V6LEN]]: connections per client prefix (default 32 /32 /64)", (b, a, f) =>
        {
            if (a.Length is < 1 or > 3) throw f("expected N [V4LEN [V6LEN]]");
            b.Limits = b.Limits with
            {
                MaxConnectionsPerPrefix = Int(a[..1], f, 1, 100000),
                PerPrefixLengthV4 = a.Length > 1 ? Int(a[1..2], f, 0, 32) : b.Limits.PerPrefixLengthV4,
                PerPrefixLengthV6 = a.Length > 2 ? Int(a[2..3], f, 0, 128) : b.Limits.PerPrefixLengthV6,
            };
        }),
        new("max-padding", true, "OCTETS of Packet Padding a session may ask for (0..8900, default 8900)", (b, a, f) =>
            b.Limits = b.Limits with { MaxPadding = Int(a, f, 0, 8900) }),
        new("allow-unauth", true, "PREFIX... clients allowed in unauthenticated mode (default all)", (b, a, f) => Allow(b, TwampModes.Unauthenticated, a, f)),
        new("allow-auth", true, "PREFIX... clients allowed in authenticated mode", (b, a, f) => Allow(b, TwampModes.Authenticated, a, f)),
        new("allow-enc", true, "PREFIX... clients allowed in encrypted mode", (b, a, f) => Allow(b, TwampModes.Encrypted, a, f)),
        new("allow-mixed", true, "PREFIX... clients allowed in mixed mode", (b, a, f) => Allow(b, TwampModes.Mixed, a, f)),
        new("light-allow", true, "PREFIX... senders the TWAMP Light reflector serves (default loopback only)", (b, a, f) =>
            (b.LightAllow ??= []).AddRange(Prefixes(a, f))),
        new("log-level", true, "debug|info|warn|error", (b, a, f) =>
        {
            One(a, f);
            b.App = b.App with { LogLevel = a[0] switch
            {
                "debug" => LogLevel.Debug, "info" => LogLevel.Info, "warn" or "warning" => LogLevel.Warn, "error" => LogLevel.Error,
                _ => throw f($"'{a[0]}' is not one of debug, info, warn, error"),
            } };
        }),
        new("syslog", true, "yes|no: also log to syslog (LOG_DAEMON)", (b, a, f) => b.App = b.App with { Syslog = Bool(a, f) }),
        new("user", false, "NAME to run as after binding the ports (when started as root)", (b, a, f) =>
        {
            One(a, f);
            b.App = b.App with { User = a[0], UserOrigin = b.Origin };
        }),

        // --- OWAMP (RFC 4656) ---
        new("owamp", false, "yes|no: serve OWAMP-Control beside TWAMP (default yes)", (b, a, f) =>
            b.Server = b.Server with { Owamp = Bool(a, f) }),
        new("owamp-listen", false, "ADDR[:PORT] of OWAMP-Control (repeatable; default port 861 on the listen addresses)", (b, a, f) =>
        {
            One(a, f);
            if (!EndpointText.TryParse(a[0], ServerSettings.OwampControlPort, out var ep, out var e, out var dns)) throw ConfigException.Resolving(f(e!), dns);
            AddListener(b.OwampListen, b.OwampListenOrigins, ep, b.Origin, b.Problem);
        }),
        new("owamp-max-records-per-session", true, "N packet records one OWAMP receive session may store (default 100000; more packets: Accept=4)", (b, a, f) =>
            b.Limits = b.Limits with { OwampMaxRecordsPerSession = Int(a, f, 1, 100_000_000) }),
        new("owamp-max-records", true, "N packet records (schedule slots count as records) all OWAMP sessions may hold, each client prefix a quarter of it, at least room for one largest session (default 1000000; beyond: Accept=5)", (b, a, f) =>
            b.Limits = b.Limits with { OwampMaxRecords = Int(a, f, 1, 1_000_000_000) }),
        new("owamp-max-bandwidth", true, "BITS_PER_SECOND (k/M/G suffix) the mean rates of all OWAMP test sessions may add up to (default 10M; 0 = unlimited; beyond: Accept=5)", (b, a, f) =>
            b.Limits = b.Limits with { OwampMaxBandwidth = BitsPerSecond(a, f) }),
        new("owamp-keep-results", true, "SECONDS the results of a finished OWAMP session stay available for Fetch-Session (default 600)", (b, a, f) =>
            b.Limits = b.Limits with { OwampKeepResults = TimeSpan.FromSeconds(Int(a, f, 1, 7 * 86400)) }),
        new("owamp-delete-on-fetch", true, "yes|no: delete an OWAMP session's results once fetched complete (default no)", (b, a, f) =>
            b.Limits = b.Limits with { OwampDeleteOnFetch = Bool(a, f) }),
    ];

    public static IEnumerable<(string Name, bool Reloadable, string Usage)> Describe() =>
        Directives.Select(d => (d.Name, d.Reloadable, d.Usage)).Concat(LedDirectives.Describe());

    static readonly Dictionary<string, Directive> ByName = Directives.ToDictionary(d => d.Name);

    /// <summary>Reads and validates a file. Throws <see cref="ConfigException"/> on the first error.</summary>
    public static (ServerSettings Server, AppSettings App) Load(string path, IReadOnlyList<string>? overrides = null,
        IReadOnlyList<string>? overrideFlags = null)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read: {Cli.ErrorText.Describe(e, path)}");
        }
        return Parse(text, path, overrides, overrideFlags);
    }


    /// <param name="overrides">Directive lines from the command line, applied after the file.</param>
    /// <param name="overrideFlags">For each override, the flag it came from as typed (e.g. "--keyfile k.pfs"):
    /// errors name it. Without it, overrides are named "command line:N".</param>
    public static (ServerSettings Server, AppSettings App) Parse(string text, string path, IReadOnlyList<string>? overrides = null,
        IReadOnlyList<string>? overrideFlags = null)
    {
        var lines = text.Split('\n').Select((t, i) => (Source: path, Where: $"{path}:{i + 1}", Text: t));
        // Command-line settings are applied after the file, as lines of their own source.
        if (overrides is not null)
            lines = lines.Concat(overrides.Select((t, i) => (Source: "command line",
                Where: overrideFlags is not null && i < overrideFlags.Count ? overrideFlags[i] : $"command line:{i + 1}", Text: t)));
        var b = new Builder { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "." };
        // The daemon serves OWAMP unless 'owamp no' (settings built in code leave it off).
        b.Server = b.Server with { Owamp = true };
        var seenListen = new HashSet<string>();
        var seenOwampListen = new HashSet<string>();
        foreach (var (source, where, raw) in lines)
        {
            var line = raw.TrimEnd('\r');
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            var name = words[0].ToLowerInvariant();
            bool flag = !where.StartsWith(source + ":", StringComparison.Ordinal);
            // A listen on the command line replaces the file's.
            if (name == "listen" && source != path && seenListen.Add(source)) { b.Listen.Clear(); b.ListenOrigins.Clear(); }
            if (name == "owamp-listen" && source != path && seenOwampListen.Add(source)) { b.OwampListen.Clear(); b.OwampListenOrigins.Clear(); }
            Func<string, ConfigException> fail = problem => flag
                ? new ConfigException($"{where}: {problem}; expected: {Usage(name)}")
                : new ConfigException($"{where}: {name}: {problem}; expected: {name} {Usage(name)}");
            b.Origin = where;
            b.Problem = problem => new ConfigException(flag ? $"{where}: {problem}" : $"{where}: {name}: {problem}");
            bool known = ByName.TryGetValue(name, out var d);
            // A single-valued directive given again overrides the earlier line: the images append the board's
            // settings after the commented defaults, and an operator uncommenting a default must not stop the
            // daemon (the list directives add up instead; a repeated listen address is an error, it cannot bind twice).
            if (known) d!.Apply(b, words[1..], fail);
            else if (LedDirectives.TryApply(b, name, words[1..], fail)) { }
            else
            {
                var near = ByName.Keys.Concat(LedDirectives.Names).OrderBy(k => Distance(k, name)).First();
                throw new ConfigException($"{where}: unknown directive '{words[0]}' (did you mean '{near}'?)");
            }
        }
        // TWAMP-Control and OWAMP-Control are both TCP: one address:port cannot be both (with 'owamp no' the
        // OWAMP addresses are not bound).
        for (int i = 0; b.Server.Owamp && i < b.OwampListen.Count; i++)
        {
            int twamp = IndexOf(b.Listen, b.OwampListen[i]);
            if (twamp >= 0)
                throw new ConfigException($"{b.OwampListenOrigins[i]}: owamp-listen: TCP {b.OwampListen[i]} is also the TWAMP-Control listen address " +
                                          $"({b.ListenOrigins[twamp]}): give OWAMP another port (861 is its well-known port) or another address");
        }
        if (b.Listen.Count > 0) b.Server = b.Server with { Listen = [.. b.Listen] };
        if (b.OwampListen.Count > 0) b.Server = b.Server with { OwampListen = [.. b.OwampListen] };
        var limits = b.Limits with
        {
            AllowedClients = b.Allowed.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<AddressPrefix>)kv.Value),
            LightAllow = b.LightAllow is null ? b.Limits.LightAllow : [.. b.LightAllow],
            AllowThirdParty = b.ThirdParty is null ? b.Limits.AllowThirdParty : [.. b.ThirdParty],
        };
        return (b.Server with { Limits = limits }, b.App);
    }

    /// <summary>
    /// Adds a control listen address unless it is already there (after the default port is applied:
    /// "listen 192.0.2.1" and "listen 192.0.2.1:862" are the same): serve could not bind it twice.
    /// </summary>
    static void AddListener(List<IPEndPoint> list, List<string> origins, IPEndPoint ep, string origin, Func<string, ConfigException> fail)
    {
        int first = IndexOf(list, ep);
        if (first >= 0) throw fail($"{ep} is given twice (first at {origins[first]}): serve cannot listen on it twice; remove one of the two");
        list.Add(ep);
        origins.Add(origin);
    }

    static int IndexOf(List<IPEndPoint> list, IPEndPoint ep)
    {
        static IPEndPoint Plain(IPEndPoint e) => e.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(e.Address.MapToIPv4(), e.Port) : e;
        var want = Plain(ep);
        return list.FindIndex(e => Plain(e).Equals(want));
    }

    static string Usage(string name) =>
        ByName.TryGetValue(name, out var d) ? d.Usage : LedDirectives.Usage(name);

    static void One(string[] a, Func<string, ConfigException> f)
    {
        if (a.Length != 1) throw f(a.Length == 0 ? "missing value" : "too many values");
    }

    static int Int(string[] a, Func<string, ConfigException> f, int min, int max)
    {
        One(a, f);
        if (!int.TryParse(a[0], out int v) || v < min || v > max) throw f($"'{a[0]}' is not a whole number in {min}..{max}");
        return v;
    }

    /// <summary>A rate in bits per second: a whole number with an optional k, M or G suffix (powers of 1000).</summary>
    static long BitsPerSecond(string[] a, Func<string, ConfigException> f)
    {
        One(a, f);
        var text = a[0];
        long unit = text.Length == 0 ? 1 : text[^1] switch { 'k' or 'K' => 1_000, 'M' => 1_000_000, 'G' => 1_000_000_000, _ => 1 };
        var digits = unit == 1 ? text : text[..^1];
        const long max = 1_000_000_000_000;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit) || !long.TryParse(digits, out long v) || v > max / unit)
            throw f($"'{text}' is not a rate in bits per second (a whole number, optionally with k, M or G, up to 1000G)");
        return v * unit;
    }

    static bool Bool(string[] a, Func<string, ConfigException> f)
    {
        One(a, f);
        return a[0].ToLowerInvariant() switch
        {
            "yes" or "on" or "true" or "1" => true,
            "no" or "off" or "false" or "0" => false,
            _ => throw f($"'{a[0]}' is not yes or no"),
        };
    }

    static List<AddressPrefix> Prefixes(string[] a, Func<string, ConfigException> f)
    {
        if (a.Length == 0) throw f("missing prefix");
        var list = new List<AddressPrefix>();
        foreach (var s in a)
        {
            if (!AddressPrefix.TryParse(s, out var p, out var e)) throw f(e!);
            list.Add(p);
        }
        return list;
    }

    static void Allow(Builder b, TwampModes mode, string[] a, Func<string, ConfigException> f)
    {
        if (!b.Allowed.TryGetValue(mode, out var list)) b.Allowed[mode] = list = [];
        list.AddRange(Prefixes(a, f));
    }

    static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
