namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>Slot Type of a schedule slot (RFC 4656 §3.6).</summary>
public enum ScheduleSlotType : byte
{
    /// <summary>0: wait an exponentially distributed time whose mean is the parameter (RFC 4656 §5).</summary>
    Exponential = 0,
    /// <summary>1: wait exactly the parameter.</summary>
    Fixed = 1,
}
