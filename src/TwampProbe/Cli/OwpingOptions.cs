using System.Net;
using System.Net.Sockets;
using TwampProbe.Owamp.Client;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Cli;

/// <summary>
/// <c>twampprobe owping</c> options: perfSONAR owping's flags where they overlap (<c>-c -i -s -D -L -u -k
/// -t -f -S -R</c>), modes with <c>-m</c> as in <c>ping</c>. As in owping, a plain <c>-i</c> value is the
/// mean of an exponential schedule (RFC 4656 §5; suffix <c>f</c> for fixed gaps), and the default is
/// both directions at once (<c>-t</c> only towards the server, <c>-f</c> only from it).
/// </summary>
public sealed record OwpingOptions
{
    public required string Target { get; init; }
    public int Count { get; init; } = 100;
    public double IntervalSeconds { get; init; } = 0.1;
    public bool ExponentialInterval { get; init; } = true;
    public int Padding { get; init; }
    public int Dscp { get; init; }
    public TwampModes[] Modes { get; init; } = [TwampModes.Unauthenticated];
    public string? Identity { get; init; }
    public string? KeyFile { get; init; }
    /// <summary>Loss threshold (Timeout of Request-Session, RFC 4656 §3.5), seconds.</summary>
    public double TimeoutSeconds { get; init; } = 2;
    /// <summary>Measure client → server (owping <c>-t</c> alone).</summary>
    public bool To { get; init; } = true;
    /// <summary>Measure server → client (owping <c>-f</c> alone).</summary>
    public bool From { get; init; } = true;
    public IPAddress? Source { get; init; }
    public AddressFamily? Family { get; init; }
    public bool ZeroPadding { get; init; }
    /// <summary><c>--receiver-port</c>: the UDP port to ask the server to receive on (e.g. 861, RFC 8545); 0 = its choice.</summary>
    public int ReceiverPort { get; init; }
    public bool Json { get; init; }
    public bool PerPacket { get; init; }
    public uint MaxCount { get; init; } = ServerGreeting.DefaultMaximumCount;
    public bool Help { get; init; }
    /// <summary>How long the set-up (greeting to Server-Start) and each later control exchange
    /// (Request-Session and Start-Sessions) may take before the server counts as hung; not a flag.</summary>
    public TimeSpan SetupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public static OwpingOptions Parse(string[] args)
    {
        var r = new ArgReader(args);
        int count = 100, padding = 0, dscp = 0;
        double interval = 0.1, timeout = 2;
        bool exponential = true, to = false, from = false, zero = false, json = false, perPacket = false;
        TwampModes[]? modes = null;
        string? identity = null, keyFile = null;
        IPAddress? source = null;
        AddressFamily? family = null;
        uint maxCount = ServerGreeting.DefaultMaximumCount;
        int receiverPort = 0;
        while (r.Next(out var flag))
        {
            switch (flag)
            {
                case "-c": count = r.Int(flag, 1, 10_000_000); break;
                case "-i":
                    var v = r.Value(flag);
                    // owping: "-i 0.1" is the mean of an exponential schedule; "f" asks for fixed gaps.
                    (interval, exponential) = PingOptions.Interval(flag, v.Length > 0 && char.ToLowerInvariant(v[^1]) is 'e' or 'f' ? v : v + "e");
                    break;
                case "-s": padding = r.Int(flag, 0, 8900); break;
                case "-D":
                    var d = r.Value(flag);
                    if (!DscpName.TryParse(d, out dscp))
                        throw new UsageException($"-D: '{d}' is not a DSCP: 0..63 or a name (BE, CS0..CS7, AF11..AF43, EF, VA, LE)");
                    break;
                case "-m":
                    if (!TwampModesExtensions.TryParseList(r.Value(flag), out var m, out var err)) throw new UsageException($"-m: {err}");
                    if (m.Contains(TwampModes.Mixed)) throw new UsageException("-m: OWAMP has modes unauth, auth and enc (mixed mode is TWAMP's, RFC 5618)");
                    modes = m;
                    break;
                case "-A": modes = AuthMode(r.Value(flag)); break;
                case "-u": identity = r.Value(flag); break;
                case "-k": keyFile = r.Value(flag); break;
                case "-L": timeout = r.Double(flag, 0.01, 3600); break;
                case "-t": r.NoValue(flag); to = true; break;
                case "-f": r.NoValue(flag); from = true; break;
                case "-S": source = PingOptions.StrictAddress(flag, r.Value(flag)); break;
                case "-4": r.NoValue(flag); family = AddressFamily.InterNetwork; break;
                case "-6": r.NoValue(flag); family = AddressFamily.InterNetworkV6; break;
                case "--zero-padding": r.NoValue(flag); zero = true; break;
                case "--json": r.NoValue(flag); json = true; break;
                case "-R": r.NoValue(flag); perPacket = true; break;
                case "--receiver-port": receiverPort = r.Int(flag, 1, 65535); break;
                case "--max-count": maxCount = (uint)r.Int(flag, 1024, int.MaxValue); break;
                case "-h" or "--help": return new OwpingOptions { Target = "", Help = true };
                default:
                    throw new UsageException(OwpingOnly.TryGetValue(flag, out var instead)
                        ? $"owping: {flag} (perfSONAR owping's) is not supported here: {instead}"
                        : $"owping: unknown option {flag}");
            }
        }
        if (r.Positional.Count != 1) throw new UsageException("owping needs exactly one HOST[:PORT]");
        if (identity is not null && keyFile is null) throw new UsageException("-u needs -k KEYFILE (pfs format: identity hex-passphrase)");
        // Not silently unauthenticated: a key file given is a key meant to be used.
        if (keyFile is not null && identity is null) throw new UsageException("-k needs -u IDENTITY: which of the key file's identities to use");
        if (identity is null && modes is { } wanted && wanted.All(x => x.HasSecureControl()))
            throw new UsageException($"-m {string.Join(",", wanted.Select(x => x.Name()))} needs a key: add -u IDENTITY -k KEYFILE (or -m unauth)");
        if (source is { } src && family is { } fam && src.AddressFamily != fam)
            throw new UsageException($"-S {src} is {PingOptions.FamilyName(src.AddressFamily)} but {(fam == AddressFamily.InterNetwork ? "-4" : "-6")} asks for {PingOptions.FamilyName(fam)}");
        if (interval == 0 && !exponential && count > 1)
            throw new UsageException("-i 0f would send every packet at once; give an interval above 0");
        var defaultModes = identity is null
            ? [TwampModes.Unauthenticated]
            : OwampControlClient.SupportedModes;
        return new OwpingOptions
        {
            Target = r.Positional[0], Count = count, IntervalSeconds = interval, ExponentialInterval = exponential,
            Padding = padding, Dscp = dscp, Modes = modes ?? defaultModes, Identity = identity, KeyFile = keyFile,
            TimeoutSeconds = timeout,
            // owping: neither -t nor -f means both directions.
            To = to || !from, From = from || !to,
            Source = source, Family = family, ZeroPadding = zero, ReceiverPort = receiverPort, Json = json, PerPacket = perPacket, MaxCount = maxCount,
        };
    }

    /// <summary>
    /// perfSONAR owping's <c>-A</c>: letters O (open), A (authenticated), E (encrypted), in any order; as owping,
    /// the most secure one the server offers is used (enc, then auth, then unauth).
    /// </summary>
    static TwampModes[] AuthMode(string value)
    {
        var letters = value.ToUpperInvariant();
        if (letters.Length == 0 || letters.Any(c => c is not ('O' or 'A' or 'E')))
            throw new UsageException($"-A: '{value}' is not an owping authmode: letters O (unauth), A (auth), E (enc), e.g. -A AEO; or -m enc,auth,unauth");
        return [.. new[] { ('E', TwampModes.Encrypted), ('A', TwampModes.Authenticated), ('O', TwampModes.Unauthenticated) }
            .Where(m => letters.Contains(m.Item1)).Select(m => m.Item2)];
    }

    /// <summary>Flags of perfSONAR owping this client does not have, and what to use instead.</summary>
    static readonly Dictionary<string, string> OwpingOnly = new()
    {
        ["-a"] = "the percentiles p50, p90 and p99 are always printed (with --json also p95 and the mean)",
        ["-b"] = "percentiles are exact here (no histogram buckets)",
        ["-n"] = "delays print in ms (with --json in µs)",
        ["-M"] = "use --json for machine-readable output",
        ["-v"] = "use -R for one line per packet",
        ["-Q"] = "there is no quiet mode; use --json",
        ["-T"] = "no owp files are written; use --json -R and redirect the output",
        ["-F"] = "no owp files are written; use --json -R and redirect the output",
        ["-H"] = "use -D with a DSCP (a number or a name such as EF)",
        ["-B"] = "use -S with an address of that interface",
        ["-P"] = "the local test ports are any free ones (the server's come from its test-ports)",
        ["-z"] = "the sessions start 1 s after they are requested",
        ["-E"] = "the sessions start 1 s after they are requested",
    };

    public const string Usage = """
        Usage: twampprobe owping [options] HOST[:PORT]
        One-way delay with OWAMP (RFC 4656) to and from HOST; PORT is the OWAMP-Control port (default 861).

        owping options (as perfSONAR owping where they overlap):
          -c COUNT        packets per direction (default 100)
          -i SECONDS[e|f] mean gap of an exponential schedule (default 0.1, i.e. 0.1e: owping's default);
                          with f, fixed gaps of SECONDS
          -s OCTETS       Packet Padding (default 0)
          -D DSCP         DSCP of the test packets: 0..63 or BE, CS0..CS7, AF11..AF43, EF, VA, LE
          -L SECONDS      loss threshold: a packet not received within it is lost (default 2)
          -t              only client -> server ("to")        -f   only server -> client ("from")
                          (default: both directions at once)
          -m MODES        unauth|auth|enc, or a preference list (default: enc,auth,unauth with -u, else unauth)
          -A AUTHMODE     as owping: letters O, A, E (e.g. -A AE); the most secure one the server offers
          -u IDENTITY     key identity (KeyID)         -k FILE   key file (pfs format)
          -S ADDR         local address of the control connection and the test packets
          -4, -6          resolve HOST to IPv4 / IPv6 only
          --receiver-port PORT  UDP port to ask the server to receive on (e.g. 861, RFC 8545; it may pick another)
          -R              one line per packet (both directions, after the run)
          --json          print one JSON object (members "send" and "receive"; with -R a "packets" array each)
          --zero-padding  all-zero padding instead of pseudo-random
          --max-count N   refuse servers whose PBKDF2 Count is above N (default 32768)
          -h, --help      this help

        Exit codes: 0 measured, 1 all packets lost, 2 usage, 3 config or key file, 4 refused by the server,
                    5 network failure (cannot connect, connection lost, cannot bind), 6 internal error.
        """;
}
