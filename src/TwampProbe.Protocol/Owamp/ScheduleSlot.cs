using System.Buffers.Binary;

namespace TwampProbe.Protocol.Owamp;

/// <summary>
/// One schedule slot of Request-Session (RFC 4656 §3.5), 16 octets:
/// <code>
///  0               1-7            8-15
/// +---------------+--------------+--------------------------------+
/// |  Slot Type    | MBZ (7)      | Slot Parameter (32.32 interval) |
/// +---------------+--------------+--------------------------------+
/// </code>
/// Type 0: the parameter is the mean of an exponential delay; type 1: the delay itself (§3.6).
/// <paramref name="Parameter"/> is the raw 32.32 fixed-point interval (seconds × 2^32).
/// </summary>
public readonly record struct ScheduleSlot(ScheduleSlotType Type, ulong Parameter)
{
    public const int Size = 16;
    const int TypeOffset = 0, ParameterOffset = 8;

    public static ScheduleSlot Fixed(TimeSpan delay) => new(ScheduleSlotType.Fixed, ToFixedPoint(delay));
    public static ScheduleSlot Exponential(TimeSpan mean) => new(ScheduleSlotType.Exponential, ToFixedPoint(mean));

    /// <summary>The parameter in nanoseconds (rounded to the nearest).</summary>
    public long ParameterNanoseconds => Schedule.ToNanoseconds(Parameter);

    /// <summary>False for a Slot Type other than 0 and 1, which a receiver cannot execute.</summary>
    public bool IsKnownType => Type is ScheduleSlotType.Exponential or ScheduleSlotType.Fixed;

    /// <summary>Writes the 16 octets, MBZ octets zero.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        destination[TypeOffset] = (byte)Type;
        BinaryPrimitives.WriteUInt64BigEndian(destination[ParameterOffset..], Parameter);
    }

    /// <summary>Reads a slot; the MBZ octets are ignored (RFC 4656 §3.1: MBZ is ignored by the receiver).</summary>
    public static ScheduleSlot Read(ReadOnlySpan<byte> source) =>
        new((ScheduleSlotType)source[TypeOffset], BinaryPrimitives.ReadUInt64BigEndian(source[ParameterOffset..]));

    static ulong ToFixedPoint(TimeSpan t)
    {
        if (t < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(t), "a slot interval is not negative");
        return Schedule.FromNanoseconds((long)(t.Ticks * 100));
    }

    public override string ToString() =>
        $"{(Type == ScheduleSlotType.Exponential ? "exp mean" : Type == ScheduleSlotType.Fixed ? "fixed" : $"type {(byte)Type}")} {ParameterNanoseconds / 1e9:0.######} s";
}
