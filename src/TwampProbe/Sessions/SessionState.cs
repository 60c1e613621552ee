namespace TwampProbe.Sessions;

public enum SessionState
{
    /// <summary>Accepted by Accept-Session, waiting for Start-Sessions.</summary>
    Accepted,
    /// <summary>Start-Sessions received: reflecting.</summary>
    Started,
    /// <summary>Stop-Sessions received: reflecting until the session's Timeout has passed.</summary>
    Stopping,
    /// <summary>Torn down: no more reflection; the port is released.</summary>
    Ended,
}
