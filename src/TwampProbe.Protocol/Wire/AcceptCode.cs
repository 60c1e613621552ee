namespace TwampProbe.Protocol.Wire;

/// <summary>Accept values of RFC 4656 §3.3 (Server-Start, Accept-Session, Start-Ack, Stop-Sessions).</summary>
public enum AcceptCode : byte
{
    Ok = 0,
    /// <summary>Failure, reason unspecified (catch-all): bad key identity or token, policy refusal.</summary>
    Failure = 1,
    /// <summary>Internal error: allocation, socket or crypto failure.</summary>
    InternalError = 2,
    /// <summary>Some aspect of the request is not supported (RFC 5357 §3.5: unexpected command, Conf-* ≠ 0).</summary>
    NotSupported = 3,
    /// <summary>Cannot perform the request due to permanent resource limitations.</summary>
    PermanentResourceLimitation = 4,
    /// <summary>Cannot perform the request due to temporary resource limitations; retry later.</summary>
    TemporaryResourceLimitation = 5,
}

public static class AcceptCodeExtensions
{
    /// <summary>"Any other value is reserved and MUST be treated as 1" (RFC 4656 §3.3).</summary>
    public static AcceptCode Normalize(byte value) => value <= 5 ? (AcceptCode)value : AcceptCode.Failure;

    public static string Describe(this AcceptCode code) => code switch
    {
        AcceptCode.Ok => "OK",
        AcceptCode.Failure => "failure",
        AcceptCode.InternalError => "internal error",
        AcceptCode.NotSupported => "not supported",
        AcceptCode.PermanentResourceLimitation => "permanent resource limitation",
        AcceptCode.TemporaryResourceLimitation => "temporary resource limitation",
        _ => $"reserved ({(byte)code})",
    };
}
