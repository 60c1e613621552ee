using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Test;

namespace TwampProbe.Owamp.Server;

/// <summary>
/// The network capacity all OWAMP test sessions of the server may use at once (<c>owamp-max-bandwidth</c>):
/// RFC 4656 §6.5, "the server MUST have technical means to limit the use of network capacity".
/// Every session, sent or received, reserves its mean rate from Request-Session until it ends.
/// Thread-safe.
/// </summary>
public sealed class OwampCapacity
{
    readonly Lock _lock = new();
    long _reserved;

    /// <summary>Bits per second reserved by the sessions set up and not yet ended.</summary>
    public long ReservedBitsPerSecond { get { lock (_lock) return _reserved; } }

    /// <summary>
    /// The mean rate of a session in bits per second: its packets on the wire (IP and UDP header, the
    /// OWAMP-Test header of its mode, the padding) over its mean interval — the slots' sum over their
    /// number, as the schedule repeats its slots (RFC 4656 §3.5). Infinity for a mean interval of 0.
    /// </summary>
    public static double MeanBitsPerSecond(IReadOnlyList<ScheduleSlot> slots, uint paddingLength, TestSecurity security, AddressFamily family)
    {
        int ipHeader = family == AddressFamily.InterNetworkV6 ? 40 : 20;
        double bits = 8.0 * (ipHeader + 8 + OwampTestPacket.HeaderLength(security) + (double)paddingLength);
        double sumNs = 0;
        foreach (var slot in slots) sumNs += slot.ParameterNanoseconds;
        if (slots.Count == 0 || sumNs <= 0) return double.PositiveInfinity;
        return bits * slots.Count / (sumNs / 1e9);
    }

    /// <summary>Reserves the rate of a session; null when granted (the reservation), else why not.</summary>
    public (Reservation? Granted, string? Why) TryReserve(double bitsPerSecond, ServerLimits limits)
    {
        long max = limits.OwampMaxBandwidth;
        if (max == 0) return (new Reservation(this, 0), null);
        if (double.IsPositiveInfinity(bitsPerSecond))
            return (null, $"owamp-max-bandwidth {max} bit/s: a schedule whose mean interval is 0 has no bounded rate");
        long want = (long)Math.Min(Math.Ceiling(bitsPerSecond), long.MaxValue / 2);
        lock (_lock)
        {
            if (want > max - _reserved)
                return (null, $"owamp-max-bandwidth {max} bit/s reached ({_reserved} held by other sessions, {want} asked)");
            _reserved += want;
        }
        return (new Reservation(this, want), null);
    }

    void Give(long bitsPerSecond)
    {
        lock (_lock) _reserved -= bitsPerSecond;
    }

    /// <summary>One session's share; <see cref="Release"/> gives it back once, however often it is called.</summary>
    public sealed class Reservation(OwampCapacity owner, long bitsPerSecond)
    {
        long _held = bitsPerSecond;

        public long BitsPerSecond => Volatile.Read(ref _held);

        public void Release()
        {
            long held = Interlocked.Exchange(ref _held, 0);
            if (held != 0) owner.Give(held);
        }
    }
}
