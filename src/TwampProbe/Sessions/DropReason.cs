namespace TwampProbe.Sessions;

/// <summary>Why a test packet was not reflected. Counted, never logged per packet above debug.</summary>
public enum DropReason
{
    /// <summary>Shorter than the sender packet format of its session.</summary>
    Runt,
    /// <summary>Larger than the receive buffer.</summary>
    Truncated,
    /// <summary>HMAC did not verify (RFC 4656 §4.2: MUST be discarded).</summary>
    BadHmac,
    /// <summary>From a source that is not the negotiated Session-Sender of any session on that port.</summary>
    UnknownSender,
    /// <summary>Before Start-Sessions.</summary>
    NotStarted,
    /// <summary>After Stop-Sessions + Timeout (RFC 5357 §4.2).</summary>
    AfterStop,
    /// <summary>TWAMP Light: source not in the allow-list.</summary>
    NotAllowed,
    /// <summary>The reply found the socket's send buffer full (EAGAIN): dropped, the reflector thread never waits.</summary>
    SendBufferFull,
}

public static class DropReasons
{
    public static string Name(DropReason r) => r switch
    {
        DropReason.Runt => "runt",
        DropReason.Truncated => "truncated",
        DropReason.BadHmac => "bad-hmac",
        DropReason.UnknownSender => "unknown-sender",
        DropReason.NotStarted => "not-started",
        DropReason.AfterStop => "after-stop",
        DropReason.NotAllowed => "not-allowed",
        DropReason.SendBufferFull => "send-buffer-full",
        _ => r.ToString(),
    };
}
