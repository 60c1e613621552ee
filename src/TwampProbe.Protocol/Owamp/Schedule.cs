using TwampProbe.Protocol.Wire;

namespace TwampProbe.Protocol.Owamp;

/// <summary>
/// The send schedule of one OWAMP-Test session (RFC 4656 §3.6, §4.1.1): the slots are executed in order
/// and cyclically — for each packet, wait the slot's delay (type 1) or an exponential delay of the slot's
/// mean (type 0, <see cref="ScheduleRandom"/> seeded with the SID), then send. So packet n leaves at
/// Start Time + d0 + … + dn: the first packet one slot after the start, as perfSONAR does. All arithmetic
/// is in 32.32 fixed point, added exactly, so that both ends compute the same times to the bit.
/// One random stream serves the whole schedule; fixed slots draw nothing from it. Not thread-safe.
/// </summary>
public sealed class Schedule : IDisposable
{
    readonly ScheduleSlot[] _slots;
    readonly ScheduleRandom? _random;
    int _slot;
    ulong _offset;

    public Schedule(ReadOnlySpan<byte> sid, IReadOnlyList<ScheduleSlot> slots)
    {
        if (slots.Count == 0) throw new ArgumentException("a schedule has at least one slot (RFC 4656 §3.5)", nameof(slots));
        _slots = [.. slots];
        foreach (var s in _slots)
            if (!s.IsKnownType) throw new ArgumentException($"unknown slot type {(byte)s.Type}", nameof(slots));
        if (_slots.Any(s => s.Type == ScheduleSlotType.Exponential)) _random = new ScheduleRandom(sid);
    }

    /// <summary>The delay before the next packet, 32.32 (the slot loop of §3.6).</summary>
    public ulong NextDelay()
    {
        var slot = _slots[_slot];
        _slot = (_slot + 1) % _slots.Length;
        return slot.Type == ScheduleSlotType.Fixed
            ? slot.Parameter
            : ScheduleRandom.Multiply(_random!.NextExponential(), slot.Parameter);
    }

    /// <summary>The next packet's send time as a 32.32 offset from the Start Time.</summary>
    public ulong NextOffset()
    {
        _offset += NextDelay();
        return _offset;
    }

    /// <summary>The 32.32 offsets from the Start Time of packets 0 … count − 1.</summary>
    public static ulong[] Offsets(ReadOnlySpan<byte> sid, IReadOnlyList<ScheduleSlot> slots, int count)
    {
        using var schedule = new Schedule(sid, slots);
        var offsets = new ulong[count];
        for (int i = 0; i < count; i++) offsets[i] = schedule.NextOffset();
        return offsets;
    }

    /// <summary>Start Time + offset, as an NTP timestamp (32.32 addition, wrapping like the field).</summary>
    public static NtpTimestamp SendTime(NtpTimestamp start, ulong offset) => new(unchecked(start.Value + offset));

    /// <summary>A 32.32 interval in nanoseconds (nearest).</summary>
    public static long ToNanoseconds(ulong fixedPoint) =>
        (long)((fixedPoint >> 32) * 1_000_000_000UL + (((fixedPoint & 0xFFFF_FFFF) * 1_000_000_000UL + (1UL << 31)) >> 32));

    /// <summary>Nanoseconds as a 32.32 interval (truncated).</summary>
    public static ulong FromNanoseconds(long nanoseconds)
    {
        if (nanoseconds < 0) throw new ArgumentOutOfRangeException(nameof(nanoseconds));
        ulong seconds = (ulong)(nanoseconds / 1_000_000_000);
        ulong nanos = (ulong)(nanoseconds % 1_000_000_000);
        return (seconds << 32) | ((nanos << 32) / 1_000_000_000UL);
    }

    public void Dispose() => _random?.Dispose();
}
