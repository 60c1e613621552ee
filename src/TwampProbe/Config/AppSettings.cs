using TwampProbe.Diagnostics;

namespace TwampProbe.Config;

/// <summary>Process-level settings: logging, privileges, status LEDs.</summary>
public sealed record AppSettings
{
    public LogLevel LogLevel { get; init; } = LogLevel.Info;
    public bool Syslog { get; init; }
    public string? User { get; init; }
    /// <summary>"file:line" of the <c>user</c> directive, for errors about it.</summary>
    public string? UserOrigin { get; init; }
    public IReadOnlyList<LedSpec> Leds { get; init; } = [];
}
