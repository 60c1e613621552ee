namespace TwampProbe.Protocol.Wire.Control;

/// <summary>Command Numbers of TWAMP-Control (RFC 5357 §8.4, RFC 5938 §6).</summary>
public enum CommandNumber : byte
{
    Reserved = 0,
    /// <summary>OWAMP Request-Session: forbidden in TWAMP.</summary>
    Forbidden = 1,
    StartSessions = 2,
    StopSessions = 3,
    /// <summary>OWAMP Fetch-Session: reserved in TWAMP.</summary>
    ReservedFetch = 4,
    RequestTwSession = 5,
    Experimentation = 6,
}
