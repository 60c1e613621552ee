namespace TwampProbe.Protocol.Statistics;

/// <summary>What one arriving copy of a sequence number was, as <see cref="SequenceAccounting.Add"/> judged it.</summary>
public enum Arrival
{
    /// <summary>The first copy, within the loss threshold: received (RFC 7680 loss 0), measured.</summary>
    First,
    /// <summary>A further copy within the loss threshold (RFC 5560 duplicate): counted, not measured again.</summary>
    Duplicate,
    /// <summary>The first copy, but after the loss threshold Tmax: the packet is lost (RFC 7680 §2.4), counted as late.</summary>
    Late,
    /// <summary>A further copy of a packet already received or already late, after the threshold: ignored.</summary>
    LateCopy,
}
