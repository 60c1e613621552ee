using TwampProbe.Protocol.Wire;

namespace TwampProbe.Control;

/// <summary>
/// The commands a control connection serves once the shared greeting and set-up are done
/// (<see cref="ServerConnection"/>: RFC 4656 §3.1, the same for TWAMP and OWAMP): TWAMP's
/// (<see cref="TwampCommandSet"/>, RFC 5357 §3.4-3.8) or OWAMP's (RFC 4656 §3.4-3.9). The command set
/// owns its sessions; the connection calls it from its own task and from its watchdog.
/// </summary>
public interface IControlCommandSet
{
    /// <summary>Security modes (and extensions) this protocol may offer in the Server-Greeting.</summary>
    TwampModes SupportedModes { get; }

    /// <summary>Reads and answers commands until the client closes (throws as the connection's reads do).</summary>
    Task CommandLoopAsync(CancellationToken ct);

    /// <summary>Between Start-Sessions and Stop-Sessions with a session running: the connection does not give way to others.</summary>
    bool Measuring { get; }

    /// <summary>Watchdog tick (monotonic <paramref name="nowNs"/>). True while a session runs: SERVWAIT is suspended.</summary>
    bool Tick(long nowNs);

    /// <summary>The connection has ended: release (or hand over) every session.</summary>
    void TearDown();

    /// <summary>The counts for the connection's closing line, e.g. "sessions=1 reflected=5 dropped=0".</summary>
    string Summary { get; }
}
