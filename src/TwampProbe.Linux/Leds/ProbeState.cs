namespace TwampProbe.Linux.Leds;

/// <summary>What the appliance shows on its LEDs (see <see cref="LedPattern"/> for the table).</summary>
public enum ProbeState
{
    /// <summary>Starting up: config loaded, sockets not yet listening.</summary>
    Booting,
    /// <summary>Listening, no test session running.</summary>
    Ready,
    /// <summary>At least one test session is running.</summary>
    Active,
    /// <summary>Something needs an operator (e.g. a listener failed, clock unsynchronised).</summary>
    Fault,
}
