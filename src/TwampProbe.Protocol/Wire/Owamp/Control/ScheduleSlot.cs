using System.Buffers.Binary;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// One schedule slot description, 16 octets, following the Request-Session preamble (RFC 4656 §3.5, §3.6).
/// <code>
///  0  1 Slot Type (0 exponential, 1 fixed)
///  1  7 MBZ
///  8  8 Slot Parameter: a 32.32 interval (the mean for type 0, the delay for type 1)
/// </code>
/// <see cref="Type"/> keeps the octet as sent; <see cref="IsKnownType"/> says whether it is 0 or 1.
/// </summary>
public readonly record struct ScheduleSlot(ScheduleSlotType Type, NtpTimestamp Parameter)
{
    public const int Size = 16;
    const int TypeOffset = 0, ParameterOffset = 8;

    public static ScheduleSlot Exponential(long meanNanoseconds) => new(ScheduleSlotType.Exponential, NtpTimestamp.FromInterval(meanNanoseconds));
    public static ScheduleSlot Fixed(long delayNanoseconds) => new(ScheduleSlotType.Fixed, NtpTimestamp.FromInterval(delayNanoseconds));

    public bool IsKnownType => Type is ScheduleSlotType.Exponential or ScheduleSlotType.Fixed;

    public void Write(Span<byte> destination)
    {
        var d = destination[..Size];
        d.Clear();
        d[TypeOffset] = (byte)Type;
        Parameter.Write(d[ParameterOffset..]);
    }

    public static ScheduleSlot Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size) throw new ControlProtocolException($"a schedule slot is {Size} octets, got {source.Length}");
        return new ScheduleSlot((ScheduleSlotType)source[TypeOffset], new NtpTimestamp(BinaryPrimitives.ReadUInt64BigEndian(source[ParameterOffset..])));
    }

    /// <summary>Writes <paramref name="slots"/> back to back (16 octets each).</summary>
    public static void WriteAll(IReadOnlyList<ScheduleSlot> slots, Span<byte> destination)
    {
        for (int i = 0; i < slots.Count; i++) slots[i].Write(destination.Slice(i * Size, Size));
    }

    /// <summary>Reads <paramref name="count"/> slots written back to back.</summary>
    public static ScheduleSlot[] ReadAll(ReadOnlySpan<byte> source, int count)
    {
        var slots = new ScheduleSlot[count];
        for (int i = 0; i < count; i++) slots[i] = Read(source.Slice(i * Size, Size));
        return slots;
    }
}
