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
            Console.Out.Write(Usage);
            return args.Length == 0 ? ExitCode.Usage : ExitCode.Ok;
        }
        if (args[0] is "serve" or "ping" && !OpenSslPresent())
        {
            Console.Error.WriteLine("twampprobe: OpenSSL's libssl (libssl3) is not installed: TWAMP needs it for AES, HMAC and random numbers. Install libssl3 on the target root.");
            return ExitCode.Config;
        }
        try
        {
            return args[0] switch
            {
                "serve" => ServeCommand.Run(args[1..]),
                "ping" => PingCommand.Run(args[1..]),
                "check-config" => CheckConfigCommand.Run(args[1..]),
                "led-test" => LedTestCommand.Run(args[1..]),
                "version" or "--version" or "-V" => PrintVersion(),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"twampprobe: {e.Message}");
            Console.Error.WriteLine("Run 'twampprobe --help' for usage.");
            return ExitCode.Usage;
        }
        catch (Exception e)
        {
            Log.Error($"internal error: {e}");
            return ExitCode.Internal;
        }
    }

    /// <summary>
    /// The BCL's crypto (and its random numbers) load libssl on first use and abort the process if it
    /// is missing; check up front so the operator gets a sentence instead of SIGABRT.
    /// </summary>
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

    const string Usage = """
        twampprobe — TWAMP (RFC 5357) server/reflector and client/sender

        Usage:
          twampprobe serve [-c FILE] [--listen ADDR[:PORT]] [--keyfile FILE] [--modes LIST]
                           [--test-ports LO-HI] [--light-listen ADDR:PORT] [-v|--debug]
          twampprobe ping [options] HOST[:PORT]
          twampprobe check-config [-c FILE]
          twampprobe led-test [-c FILE]
          twampprobe version

        ping options (as perfSONAR twping where they overlap):
          -c COUNT      packets to send (default 100)
          -i SECONDS    interval between packets, fractional (default 0.1)
          -s OCTETS     Packet Padding (default: equal size in both directions)
          -D DSCP       DSCP for the test packets, 0..63 (reflected by the server)
          -m MODES      unauth|auth|enc|mixed, or a preference list (default: enc,auth,mixed,unauth
                        with -u, else unauth)
          -u IDENTITY   key identity (KeyID)       -k FILE   key file (pfs format)
          -P PORT       requested test receiver port on the server (e.g. 862; default: any)
          -L SECONDS    wait for late replies after the last packet (default 2)
          -S ADDR       local address to use
          --ttl N       IP TTL / hop limit of the test packets (default 255)
          --light       TWAMP Light: no control connection, send to HOST:PORT (default port 862)
          --zero-padding  all-zero padding instead of pseudo-random
          --json        print one JSON object          -R  one line per reply
          --max-count N refuse servers whose PBKDF2 Count is above N (default 32768)

        Exit codes: 0 measured, 1 all packets lost, 2 usage, 3 config, 4 refused by the server,
                    5 network failure, 6 internal error.

        """;
}
