namespace TwampProbe.Protocol.Owamp;

/// <summary>Slot Type of a Request-Session schedule slot (RFC 4656 §3.5, §3.6).</summary>
public enum ScheduleSlotType : byte
{
    /// <summary>Wait an exponentially distributed time whose mean is the slot parameter, then send (RFC 4656 §5).</summary>
    Exponential = 0,
    /// <summary>Wait exactly the slot parameter, then send.</summary>
    Fixed = 1,
}
