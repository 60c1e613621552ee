using System.Net;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Cli;

public sealed record PingOptions
{
    public required string Target { get; init; }
    public int Count { get; init; } = 100;
    public double IntervalSeconds { get; init; } = 0.1;
    /// <summary><c>-i 0.1e</c>: exponentially distributed gaps of that mean (twping's default); plain or <c>f</c>: fixed.</summary>
    public bool ExponentialInterval { get; init; }
    public int? Padding { get; init; }
    public int Dscp { get; init; }
    public TwampModes[]? Modes { get; init; }
    public string? Identity { get; init; }
    public string? KeyFile { get; init; }
    /// <summary>Receiver port to request on the server (--receiver-port, or the old -P N); 0 = the sender's own port.</summary>
    public int RequestedPort { get; init; }
    /// <summary><c>-P LOW-HIGH</c> (twping): local UDP port range the test socket binds from; null = any port.</summary>
    public (int Low, int High)? LocalPorts { get; init; }
    /// <summary><c>-4</c>/<c>-6</c>: the address family a host name is resolved to; null = IPv4 first, then IPv6.</summary>
    public System.Net.Sockets.AddressFamily? Family { get; init; }
    /// <summary><c>-Z</c>: zero Sender and Receiver Address in Request-TW-Session (RFC 5357 §3.5; behind NAT).</summary>
    public bool ZeroAddresses { get; init; }
    /// <summary><c>-h</c>/<c>--help</c>: print ping's help and exit 0.</summary>
    public bool Help { get; init; }
    /// <summary>How long the set-up (greeting to Server-Start), Request-TW-Session and Start-Sessions
    /// may each take before the server counts as hung; not a flag.</summary>
    public TimeSpan SetupTimeout { get; init; } = TimeSpan.FromSeconds(30);
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
                case "-i": (o.Interval, o.Exponential) = Interval(flag, r.Value(flag)); break;
                case "-s": o.Padding = r.Int(flag, 0, 8900); break;
                case "-D":
                    var d = r.Value(flag);
                    if (!DscpName.TryParse(d, out o.Dscp))
                        throw new UsageException($"-D: '{d}' is not a DSCP: 0..63 or a name (BE, CS0..CS7, AF11..AF43, EF, VA, LE)");
                    break;
                case "-m":
                    if (!TwampModesExtensions.TryParseList(r.Value(flag), out var modes, out var err)) throw new UsageException($"-m: {err}");
                    o.Modes = modes;
                    break;
                case "-u": o.Identity = r.Value(flag); break;
                case "-k": o.KeyFile = r.Value(flag); break;
                case "-P": LocalPortsOrReceiverPort(flag, r.Value(flag), o); break;
                case "--receiver-port": o.Port = r.Int(flag, 1, 65535); break;
                case "-L": o.LossTimeout = LossThreshold(flag, r.Value(flag)); break;
                case "-S": o.Source = StrictAddress(flag, r.Value(flag)); break;
                case "-4": r.NoValue(flag); o.Family = System.Net.Sockets.AddressFamily.InterNetwork; break;
                case "-6": r.NoValue(flag); o.Family = System.Net.Sockets.AddressFamily.InterNetworkV6; break;
                case "-Z": r.NoValue(flag); o.ZeroAddresses = true; break;
                case "--ttl": o.Ttl = r.Int(flag, 1, 255); break;
                case "--cpu": o.Cpu = r.Int(flag, 0, 1023); break;
                case "--ecn": o.Ecn = r.Int(flag, 0, 3); break;
                case "--no-dscp-ecn": r.NoValue(flag); o.NoDscpEcn = true; break;
                case "--max-count": o.MaxCount = (uint)r.Int(flag, 1024, int.MaxValue); break;
                case "--light": r.NoValue(flag); o.Light = true; break;
                case "--zero-padding": r.NoValue(flag); o.ZeroPadding = true; break;
                case "--json": r.NoValue(flag); o.Json = true; break;
                case "-R": r.NoValue(flag); o.PerPacket = true; break;
                case "-h" or "--help": return new PingOptions { Target = "", Help = true };
                default: throw new UsageException($"ping: unknown option {flag}");
            }
        }
        if (r.Positional.Count != 1) throw new UsageException("ping needs exactly one HOST[:PORT]");
        if (o.Light && o.Modes is { } m && m.Any(x => x != TwampModes.Unauthenticated))
            throw new UsageException("--light works in unauthenticated mode only (RFC 5357 Appendix I)");
        if (o.Light && (o.ZeroAddresses || o.Port != 0))
            throw new UsageException($"{(o.ZeroAddresses ? "-Z" : "--receiver-port")} has no meaning with --light: there is no session request (put the reflector's port in HOST:PORT)");
        if (o.Identity is not null && o.KeyFile is null) throw new UsageException("-u needs -k KEYFILE (pfs format: identity hex-passphrase)");
        // Not silently unauthenticated: a key file given is a key meant to be used.
        if (o.KeyFile is not null && o.Identity is null) throw new UsageException("-k needs -u IDENTITY: which of the key file's identities to use");
        // A local mistake, not the server's refusal: every mode asked for needs a key, and none was given.
        if (o.Identity is null && o.Modes is { } wanted && wanted.All(x => x.HasSecureControl()))
            throw new UsageException($"-m {string.Join(",", wanted.Select(x => x.Name()))} needs a key: add -u IDENTITY -k KEYFILE (or -m unauth)");
        if (o.Source is { } src && o.Family is { } fam && src.AddressFamily != fam)
            throw new UsageException($"-S {src} is {FamilyName(src.AddressFamily)} but {(fam == System.Net.Sockets.AddressFamily.InterNetwork ? "-4" : "-6")} asks for {FamilyName(fam)}");
        var defaultModes = o.Identity is null
            ? [TwampModes.Unauthenticated]
            : new[] { TwampModes.Encrypted, TwampModes.Authenticated, TwampModes.Mixed, TwampModes.Unauthenticated };
        return new PingOptions
        {
            Target = r.Positional[0], Count = o.Count, IntervalSeconds = o.Interval, ExponentialInterval = o.Exponential,
            Padding = o.Padding, Dscp = o.Dscp,
            Modes = o.Modes ?? defaultModes, Identity = o.Identity, KeyFile = o.KeyFile, RequestedPort = o.Port, LocalPorts = o.LocalPorts,
            LossTimeoutSeconds = o.LossTimeout, Source = o.Source, Ttl = o.Ttl, Light = o.Light, ZeroPadding = o.ZeroPadding,
            Json = o.Json, PerPacket = o.PerPacket, MaxCount = o.MaxCount, Cpu = o.Cpu,
            Ecn = o.Ecn, DscpEcnMonitoring = !o.NoDscpEcn, Family = o.Family, ZeroAddresses = o.ZeroAddresses,
        };
    }

    public static string FamilyName(System.Net.Sockets.AddressFamily f) => f == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    /// <summary>
    /// <c>-L SECONDS</c> (twping's loss timeout): a reply later than this after its packet left is lost,
    /// counted as late (RFC 7680 Tmax, which §2.8.2 says MUST be reported); the sender also waits this
    /// long after the last packet, and it is the session Timeout (RFC 5357 §3.5). Plain decimal seconds,
    /// 0.01 to 3600 (not NaN, not ∞, no exponent).
    /// </summary>
    static double LossThreshold(string flag, string v)
    {
        if (!double.TryParse(v, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double d)
            || !(d >= 0.01 && d <= 3600)) // NaN parses even without AllowExponent; it fails this test
            throw new UsageException($"{flag}: '{v}' is not a loss threshold: seconds in 0.01..3600 (a reply later than this counts as lost)");
        return d;
    }

    /// <summary><c>-i 0.1</c> and <c>-i 0.1f</c>: fixed; <c>-i 0.1e</c>: exponential with that mean (twping's suffixes).</summary>
    internal static (double Seconds, bool Exponential) Interval(string flag, string v)
    {
        char last = v.Length > 0 ? char.ToLowerInvariant(v[^1]) : ' ';
        bool exponential = last == 'e';
        var number = last is 'e' or 'f' ? v[..^1] : v;
        if (!double.TryParse(number, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double d)
            || d < 0 || d > 3600)
            throw new UsageException($"{flag}: '{v}' is not an interval: seconds in 0..3600, optionally followed by f (fixed) or e (exponential mean)");
        if (exponential && d == 0) throw new UsageException($"{flag}: an exponential interval needs a mean above 0");
        return (d, exponential);
    }

    /// <summary>
    /// <c>-P LOW-HIGH</c> and <c>-P 0</c> as in twping: the local test-port range (0 = any). A single
    /// non-zero port is not a twping form, so it keeps its old TwampProbe meaning: the receiver port to
    /// request on the server (the same as <c>--receiver-port N</c>).
    /// </summary>
    static void LocalPortsOrReceiverPort(string flag, string v, Builder o)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        const System.Globalization.NumberStyles digits = System.Globalization.NumberStyles.None;
        int dash = v.IndexOf('-');
        if (dash < 0)
        {
            if (!int.TryParse(v, digits, inv, out int p) || p > 65535)
                throw new UsageException($"{flag}: '{v}' is neither a local port range LOW-HIGH nor a port");
            if (p == 0) o.LocalPorts = null;
            else o.Port = p;
            return;
        }
        if (!int.TryParse(v[..dash], digits, inv, out int low) || !int.TryParse(v[(dash + 1)..], digits, inv, out int high)
            || low < 1 || high > 65535 || low > high)
            throw new UsageException($"{flag}: '{v}' is not a local port range LOW-HIGH within 1..65535");
        o.LocalPorts = (low, high);
    }

    /// <summary>
    /// An address written in full: IPv4 as four dotted decimal octets (IPAddress.TryParse would take
    /// "1.2.3" as 1.2.0.3), IPv6 with an optional zone.
    /// </summary>
    public static IPAddress StrictAddress(string flag, string s)
    {
        bool ok;
        IPAddress? a = null;
        if (s.Contains(':')) ok = IPAddress.TryParse(s, out a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        else
        {
            var parts = s.Split('.');
            ok = parts.Length == 4
                && parts.All(x => x.Length is > 0 and <= 3 && x.All(char.IsAsciiDigit) && int.Parse(x, System.Globalization.CultureInfo.InvariantCulture) <= 255)
                && IPAddress.TryParse(s, out a);
        }
        if (!ok || a is null) throw new UsageException($"{flag}: '{s}' is not an IPv4 address (a.b.c.d) or an IPv6 address");
        return a;
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
        public bool Light, ZeroPadding, Json, PerPacket, Exponential, ZeroAddresses;
        public (int Low, int High)? LocalPorts;
        public System.Net.Sockets.AddressFamily? Family;
        public uint MaxCount = ServerGreeting.DefaultMaximumCount;
    }
}
