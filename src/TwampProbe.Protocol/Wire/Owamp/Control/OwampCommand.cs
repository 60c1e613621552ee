namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// Command Numbers of OWAMP-Control (RFC 4656 §3.4): the first octet of the first block of every
/// client command. Stop-Sessions is sent by both sides (§3.8).
/// </summary>
public enum OwampCommand : byte
{
    RequestSession = 1,
    StartSessions = 2,
    StopSessions = 3,
    FetchSession = 4,
}
