using TwampProbe.Cli;
using TwampProbe.Diagnostics;

namespace TwampProbe;

public static class Program
{
    public const string Version = "0.1.0";

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.WriteLine(Usage.TrimEnd('\n'));
            return args.Length == 0 ? ExitCode.Usage : ExitCode.Ok;
        }
        try
        {
            return args[0] switch
            {
                "serve" => ServeCommand.Run(args[1..]),
                "ping" => PingCommand.Run(args[1..]),
                "owping" => OwpingCommand.Run(args[1..]),
                "check-config" => CheckConfigCommand.Run(args[1..]),
                "led-test" => LedTestCommand.Run(args[1..]),
                "self-test" => SelfTestCommand.Run(args[1..]),
                "version" or "--version" or "-V" => PrintVersion(),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (HelpRequestedException) when (CommandUsage(args[0]) is { } usage)
        {
            // Each command's -h/--help, where a flag stands, prints that command's usage.
            Console.Out.WriteLine(usage.TrimEnd('\n'));
            return ExitCode.Ok;
        }
        catch (MissingOpenSslException)
        {
            Console.Error.WriteLine("twampprobe: OpenSSL's libssl (libssl3) is not installed: TWAMP needs it for AES, HMAC and random numbers. Install libssl3 on the target root.");
            return ExitCode.Config;
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"twampprobe: {e.Message}");
            Console.Error.WriteLine(CommandUsage(args[0]) is null ? "Run 'twampprobe --help' for usage." : $"Run 'twampprobe {args[0]} --help' for usage.");
            return ExitCode.Usage;
        }
        catch (Exception e)
        {
            Log.Error($"internal error: {e}");
            return ExitCode.Internal;
        }
    }

    /// <summary>
    /// Called by the commands that use crypto (serve, ping, owping, self-test) once their arguments are
    /// read, so that <c>-h</c> works anywhere: the BCL's crypto (and its random numbers) load libssl on
    /// first use and abort the process if it is missing; this checks first, so the operator gets a
    /// sentence instead of SIGABRT, then wires the per-packet crypto.
    /// </summary>
    public static void RequireCrypto()
    {
        if (!OpenSslPresent()) throw new MissingOpenSslException();
        NativeCrypto.Enable();
    }

    sealed class MissingOpenSslException : Exception;

    static bool OpenSslPresent()
    {
        foreach (var name in new[] { "libssl.so.3", "libssl.so.1.1", "libssl.so" })
            if (System.Runtime.InteropServices.NativeLibrary.TryLoad(name, out var handle))
            {
                System.Runtime.InteropServices.NativeLibrary.Free(handle);
                return true;
            }
        return false;
    }

    static int PrintVersion()
    {
        Console.Out.WriteLine($"twampprobe {Version} ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()})");
        return ExitCode.Ok;
    }

    static string Usage => $"""
        twampprobe — TWAMP (RFC 5357) and OWAMP (RFC 4656) server/reflector and client/sender

        Usage:
          twampprobe serve [options]
          twampprobe ping [options] HOST[:PORT]
          twampprobe owping [options] HOST[:PORT]     OWAMP one-way delay, both directions (owping --help)
          twampprobe check-config [-c FILE] [serve options]
          twampprobe led-test [-c FILE]
          twampprobe self-test [--timing]
          twampprobe version
          twampprobe COMMAND --help          that command's options and exit codes

        {ServeOptionsText}

        {PingOptionsText}

        ping and owping (COMMAND --help for the others):
        {ExitCodesText}
        serve:
        {ServeExitCodesText}
        """;

    /// <summary>The usage <c>COMMAND --help</c> prints; null for an unknown command.</summary>
    public static string? CommandUsage(string command) => command switch
    {
        "serve" => ServeUsage,
        "ping" => PingUsage,
        "owping" => OwpingOptions.Usage,
        "check-config" => CheckConfigUsage,
        "led-test" => LedTestUsage,
        "self-test" => SelfTestUsage,
        _ => null,
    };

    /// <summary><c>check-config -h</c>.</summary>
    public static string CheckConfigUsage => $"""
        Usage: twampprobe check-config [-c FILE] [serve options]
        Reads the configuration (and the key file it names) as serve would, without binding anything,
        and prints what serve would do: listeners, modes, test ports, limits. Every error names file:line
        (or the serve flag it came from). Serve options on the command line override the file, as for serve.

        {ServeOptionsText}

        Exit codes: 0 configuration OK, 2 usage, 3 configuration or key file error.
        """;

    /// <summary><c>led-test -h</c>.</summary>
    public const string LedTestUsage = """
        Usage: twampprobe led-test [-c FILE] [--sys-root DIR]
        Lights each LED configured with 'led ROLE gpio CHIP LINE' or 'led ROLE sysfs NAME' for 500 ms
        in turn, one line per LED.
          -c, --config FILE   config file (default /etc/twampprobe/twampprobe.conf if it exists)
          --sys-root DIR      root of the sysfs LED tree (default /sys; for tests)
          -h, --help          this help

        Exit codes: 0 every LED worked (or none configured), 2 usage, 3 configuration error,
                    5 an LED could not be opened or written (the others are still cycled).
        """;

    /// <summary><c>self-test -h</c>.</summary>
    public const string SelfTestUsage = """
        Usage: twampprobe self-test [--timing]
        Runs the per-packet crypto's known-answer checks (AES-128, HMAC-SHA1, golden test packets)
        through the code this CPU executes and through the fallbacks, one line per check.
          --timing      then print what protecting and verifying one packet costs per mode
          -h, --help    this help

        Exit codes: 0 all checks passed, 1 a check failed, 2 usage.
        """;

    /// <summary><c>ping -h</c>.</summary>
    public static string PingUsage => $"""
        Usage: twampprobe ping [options] HOST[:PORT]
        PORT is the TWAMP-Control port (default 862); with --light, the Light reflector's UDP port.

        {PingOptionsText}

        {ExitCodesText}
        """;

    /// <summary><c>serve -h</c>.</summary>
    public static string ServeUsage => $"""
        Usage: twampprobe serve [options]

        {ServeOptionsText}

        {ServeExitCodesText}
        """;

    const string ServeOptionsText = """
        serve options (override the config file; see README "Configuration file"):
          -c, --config FILE        config file (default /etc/twampprobe/twampprobe.conf if it exists)
          --listen ADDR[:PORT]     TWAMP-Control listen address (default TCP 862 on all addresses)
          --owamp-listen ADDR[:PORT] OWAMP-Control address (default TCP 861 on the listen addresses)
          --no-owamp               serve TWAMP only
          -k, --keyfile FILE       key file (pfs format) for auth/enc/mixed
          -m, --modes LIST         modes offered: unauth,auth,enc,mixed
          --test-ports LO-HI       UDP port range for test sessions
          --light-listen ADDR:PORT TWAMP Light reflector address
          --light-allow PREFIX     who may use the Light reflector (CIDR)
          --servwait S             close idle control connections after S seconds
          --refwait S              end a session that receives no packet for S seconds
          --max-sessions N         sessions at once
          --reflector-cpu N        pin the reflector thread to CPU N
          --reflector-poll MODE    epoll (default) or busy: spin on the reflector CPU
          --reflector-threads N    spread sessions over N reflector threads
          --reflector-batch-us N   replies share a sendmmsg while that delays none by more than N µs
                                   (default 2; 0: a send per reply)
          --user NAME              drop privileges to NAME after binding
          --ready-fd N             write "READY" to descriptor N once listening, then close it
                                   (init scripts; under systemd Type=notify, READY=1 goes to $NOTIFY_SOCKET)
          -v, --debug              debug logging            -q, --quiet   warnings and errors only
        """;

    const string PingOptionsText = """
        ping options (as perfSONAR twping where they overlap):
          -c COUNT        packets to send (default 100)
          -i SECONDS[f|e] interval between packets, fractional (default 0.1, fixed); 0.1f fixed,
                          0.1e exponentially distributed gaps with mean 0.1 s (twping's Poisson schedule)
          -s OCTETS       Packet Padding (default: equal size in both directions)
          -D DSCP         DSCP of the test packets: 0..63 or BE, CS0..CS7, AF11..AF43, EF, VA, LE
          -m MODES        unauth|auth|enc|mixed, or a preference list (default: enc,auth,mixed,unauth
                          with -u, else unauth)
          -u IDENTITY     key identity (KeyID)         -k FILE   key file (pfs format)
          -P LOW-HIGH     local UDP port range of the test socket (twping; -P 0 = any, the default)
          -P PORT         (one port, not twping's form) the same as --receiver-port PORT
          --receiver-port PORT  receiver port to request on the server (e.g. 862; default: our own port)
          -L SECONDS      loss threshold: a reply later than this is lost (counted late); also the wait
                          after the last packet and the session Timeout (default 2)
          -S ADDR         local address of the control connection and the test packets
          -4, -6          resolve HOST to IPv4 / IPv6 only
          -Z              zero Sender/Receiver Address in the session request (behind NAT/port forwarding)
          --ttl N         IP TTL / hop limit of the test packets (default 255)
          --ecn N         ECN codepoint 0..3 on the test packets (default 0)
          --no-dscp-ecn   do not ask for RFC 7750 DSCP/ECN monitoring
          --light         TWAMP Light: no control connection, send to HOST:PORT (default port 862)
          --zero-padding  all-zero padding instead of pseudo-random
          --json          print one JSON object (with -R: a "replies" array)
          -R              one line per reply
          --max-count N   refuse servers whose PBKDF2 Count is above N (default 32768)
          --cpu N         pin the sending thread to CPU N
          -h, --help      this help
        """;

    const string ServeExitCodesText = """
        Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 2 usage, 3 configuration or key file error (names
                    file:line or the flag; also a 'user' that cannot be switched to), 5 cannot listen
                    (address in use or not on this host; a listen host name while DNS does not answer),
                    6 internal error.
        """;

    const string ExitCodesText = """
        Exit codes: 0 measured, 1 all packets lost, 2 usage, 3 config or key file, 4 refused by the server,
                    5 network failure (cannot connect, connection lost, cannot bind), 6 internal error.
        """;
}
