namespace TwampProbe.Owamp.Test;

/// <summary>Why an OWAMP-Test receiver discarded a packet. Counted, never logged per packet above debug.</summary>
public enum OwampDropReason
{
    /// <summary>Shorter than the header of the session's mode (14 or 48 octets, RFC 4656 §4.1.2).</summary>
    Runt,
    /// <summary>Larger than the receive buffer.</summary>
    Truncated,
    /// <summary>Not from the session's sender address and port.</summary>
    UnknownSender,
    /// <summary>HMAC verification failed (RFC 4656 §4.2: MUST be discarded).</summary>
    BadHmac,
    /// <summary>Error Estimate Multiplier 0: "the packet SHOULD be considered corrupt and discarded" (§4.1.2).</summary>
    BadErrorEstimate,
    /// <summary>Sequence number not below Number of Packets: not in the schedule.</summary>
    BadSequence,
    /// <summary>Send timestamp more than Timeout in the past or the future (§4.2: MUST be discarded).</summary>
    OutOfTime,
    /// <summary>Send timestamp more than Timeout away from the packet's scheduled send time (§4.2: MUST be discarded).</summary>
    OffSchedule,
    /// <summary>The session's record store is full (its configured limit).</summary>
    StoreFull,
}

public static class OwampDropReasons
{
    public const int Count = (int)OwampDropReason.StoreFull + 1;

    public static string Name(OwampDropReason r) => r switch
    {
        OwampDropReason.Runt => "runt",
        OwampDropReason.Truncated => "truncated",
        OwampDropReason.UnknownSender => "unknown-sender",
        OwampDropReason.BadHmac => "bad-hmac",
        OwampDropReason.BadErrorEstimate => "bad-error-estimate",
        OwampDropReason.BadSequence => "bad-sequence",
        OwampDropReason.OutOfTime => "out-of-time",
        OwampDropReason.OffSchedule => "off-schedule",
        OwampDropReason.StoreFull => "store-full",
        _ => r.ToString(),
    };
}
