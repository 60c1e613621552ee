using System.Net.Sockets;
using System.Runtime.InteropServices;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Cli;

/// <summary>
/// What <c>ping</c> and <c>owping</c> share around a measurement: SIGINT (Ctrl-C) and SIGTERM (kill,
/// systemd, timeout(1)) end the run early with its summary (a second signal is not caught, so it ends
/// the process at once if the first one hangs), and every failure becomes one sentence and its exit
/// code (README "Exit codes").
/// </summary>
internal static class ClientCommand
{
    /// <param name="protocol">"TWAMP" or "OWAMP", for the messages.</param>
    /// <param name="controlPort">The protocol's well-known control port, for the messages.</param>
    public static int Run(string protocol, int controlPort, string target, Func<CancellationToken, Task<int>> measure)
    {
        using var cts = new CancellationTokenSource();
        void Stop(PosixSignalContext c)
        {
            if (cts.IsCancellationRequested) return;
            c.Cancel = true;
            cts.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            return measure(cts.Token).GetAwaiter().GetResult();
        }
        catch (KeyFileException e) { return Fail($"key file: {e.Message}", ExitCode.Config); }
        catch (ConfigException e) { return Fail(e.Message, ExitCode.Config); }
        catch (ServerRefusedException e) { return Fail(e.Message, ExitCode.Refused); }
        catch (ControlProtocolException e) { return Fail($"the server broke the {protocol}-Control protocol: {e.Message}", ExitCode.Refused); }
        catch (ControlConnectionClosedException) { return Fail("the server closed the control connection (connection limit, or it does not accept this client)", ExitCode.Network); }
        catch (PingNetworkException e) { return Fail(e.Message, ExitCode.Network); }
        catch (SocketException e) { return Fail(Describe(e, protocol, controlPort, target), ExitCode.Network); }
        catch (IOException e) when (e.InnerException is SocketException s) { return Fail($"control connection lost: {Describe(s, protocol, controlPort, target)}", ExitCode.Network); }
        catch (IOException e) { return Fail($"control connection lost: {ErrorText.Describe(e)}", ExitCode.Network); }
        catch (OperationCanceledException) { return Fail("interrupted", ExitCode.Network); }
    }

    /// <summary>
    /// A hint, not a claim, for when the server answers the first session request as a server of the
    /// other protocol would (RFC 8545: TWAMP-Control TCP 862, OWAMP-Control TCP 861): an OWAMP server
    /// closes the connection on Request-TW-Session, a TWAMP server answers Request-Session with Accept=3.
    /// </summary>
    internal static string OtherProtocolHint(string protocol, int port) => protocol == "TWAMP"
        ? $" — is this an OWAMP server? {(port == 861 ? "TCP 861 is OWAMP-Control's well-known port; " : "")}TWAMP-Control's is TCP 862 (RFC 8545)"
        : $" — or is this a TWAMP server? {(port == 862 ? "TCP 862 is TWAMP-Control's well-known port; " : "")}OWAMP-Control's is TCP 861 (RFC 8545)";

    /// <summary>The control port HOST[:PORT] names (<paramref name="wellKnown"/> without one), for the messages:
    /// "connection refused — is a TWAMP server listening there (TCP 8862)?" must name the port that was tried.</summary>
    internal static int ControlPort(string target, int wellKnown)
    {
        int colon = target.LastIndexOf(':');
        // "host:port", "192.0.2.1:port" or "[v6]:port"; a bare IPv6 address has more than one colon and no ']'.
        bool hasPort = colon > 0 && (target.StartsWith('[') ? target[colon - 1] == ']' : target.IndexOf(':') == colon);
        return hasPort && int.TryParse(target.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port)
            && port is > 0 and <= 65535 ? port : wellKnown;
    }

    /// <summary>Awaits one answer of the control exchange under our own deadline: when
    /// <paramref name="deadline"/> (not Ctrl-C, <paramref name="user"/>) ended the wait, the server took the
    /// command and never answered it, and the message says so instead of "interrupted".</summary>
    internal static async Task<T> Answer<T>(Task<T> call, CancellationTokenSource deadline, CancellationToken user, TimeSpan limit, string what, string from)
    {
        try { return await call.ConfigureAwait(false); }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !user.IsCancellationRequested)
        {
            throw new PingNetworkException($"no {what} from {from} within {limit.TotalSeconds:0.#} s — the server is overloaded or hung; try again later", e);
        }
    }

    /// <summary>Awaits the set-up (Server Greeting to Server-Start) under our own deadline: when it, not Ctrl-C
    /// (<paramref name="user"/>), ended the wait, the server took the connection and never finished the set-up.</summary>
    internal static async Task SetUp(Task setup, CancellationToken user, TimeSpan limit, string protocol, System.Net.IPEndPoint server)
    {
        try { await setup.ConfigureAwait(false); }
        catch (OperationCanceledException e) when (!user.IsCancellationRequested)
        {
            throw new PingNetworkException($"no Server Greeting or Server-Start from {EndpointText.Format(server)} within " +
                $"{limit.TotalSeconds:0.#} s of connecting — the server is overloaded or hung, or this port is not {(protocol[0] is 'O' ? "an" : "a")} {protocol}-Control server's", e);
        }
    }

    static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"twampprobe: {message}");
        return code;
    }

    static string Describe(SocketException e, string protocol, int port, string target) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"cannot connect to {target}: connection refused — is {(protocol[0] is 'O' ? "an" : "a")} {protocol} server listening there (TCP {port})?",
        SocketError.TimedOut => $"cannot connect to {target}: timed out — check the address and firewalls (TCP {port})",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"cannot reach {target}: {ErrorText.Describe(e)}",
        SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted => ErrorText.Describe(e),
        _ => $"network error talking to {target}: {ErrorText.Describe(e)}",
    };
}
