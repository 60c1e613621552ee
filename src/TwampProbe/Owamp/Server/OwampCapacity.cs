using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Test;

namespace TwampProbe.Owamp.Server;

/// <summary>
/// The network capacity all OWAMP test sessions of the server may use at once (<c>owamp-max-bandwidth</c>):
/// RFC 4656 §6.5, "the server MUST have technical means to limit the use of network capacity".
/// Every session, sent or received, reserves its mean rate from Request-Session until it ends (a burst
/// a second longer, <see cref="Reservation.End"/>); one
/// client prefix may hold a quarter of it (<see cref="PrefixShare"/>). Thread-safe.
/// </summary>
public sealed class OwampCapacity
{
    readonly Lock _lock = new();
    long _reserved;
    readonly Dictionary<string, long> _byPrefix = [];

    /// <summary>Bits per second reserved by the sessions set up and not yet ended.</summary>
    public long ReservedBitsPerSecond { get { lock (_lock) return _reserved; } }

    /// <summary>
    /// The mean rate of a session in bits per second: its packets on the wire (IP and UDP header, the
    /// OWAMP-Test header of its mode, the padding) over its mean interval — the slots' sum over their
    /// number, as the schedule repeats its slots (RFC 4656 §3.5) — but never more than all of its
    /// <paramref name="packets"/> in one second: a session of 10 packets with a mean interval of 0 (a burst,
    /// which owping's <c>-i 0</c> asks for) puts 10 packets on the wire and no more. <c>Burst</c>: that
    /// bound applied (all its packets take less than a second), so the share is held a second after the
    /// session ends (<see cref="Reservation.End"/>).
    /// </summary>
    public static (double BitsPerSecond, bool Burst) MeanBitsPerSecond(IReadOnlyList<ScheduleSlot> slots, uint paddingLength, TestSecurity security, AddressFamily family, uint packets)
    {
        int ipHeader = family == AddressFamily.InterNetworkV6 ? 40 : 20;
        double bits = 8.0 * (ipHeader + 8 + OwampTestPacket.HeaderLength(security) + (double)paddingLength);
        double whole = bits * packets;
        double sumNs = 0;
        foreach (var slot in slots) sumNs += slot.ParameterNanoseconds;
        if (slots.Count == 0 || sumNs <= 0) return (whole, true);
        double mean = bits * slots.Count / (sumNs / 1e9);
        return whole < mean ? (whole, true) : (mean, false);
    }

    /// <summary>
    /// The rate one client prefix (<c>per-prefix-length</c>, as for max-sessions-per-prefix) may hold: a
    /// quarter of <c>owamp-max-bandwidth</c>, as of <c>owamp-max-records</c> (<see cref="OwampResults.PrefixShareDivisor"/>).
    /// Without it one host took the whole budget with one Request-Session it never started and every
    /// other client got Accept = 5 for as long as it kept asking.
    /// </summary>
    public static long PrefixShare(ServerLimits limits) => Math.Max(1, limits.OwampMaxBandwidth / OwampResults.PrefixShareDivisor);

    /// <summary>Reserves the rate of a session for <paramref name="prefixKey"/>; null when granted (the reservation), else why not.</summary>
    public (Reservation? Granted, string? Why) TryReserve(double bitsPerSecond, ServerLimits limits, string prefixKey, bool burst = false)
    {
        long max = limits.OwampMaxBandwidth;
        if (max == 0) return (new Reservation(this, 0, prefixKey, burst), null);
        long want = (long)Math.Min(Math.Ceiling(bitsPerSecond), long.MaxValue / 2);
        long share = PrefixShare(limits);
        lock (_lock)
        {
            long mine = _byPrefix.GetValueOrDefault(prefixKey);
            // RFC 4656 §6.5: the use of network capacity "MUST" be limited; one client's share so that it cannot take all of it.
            if (want > share - mine)
                return (null, $"the owamp-max-bandwidth share of {prefixKey} ({share} of {max} bit/s) reached ({mine} held, {want} asked)");
            if (want > max - _reserved)
                return (null, $"owamp-max-bandwidth {max} bit/s reached ({_reserved} held by other sessions, {want} asked)");
            _reserved += want;
            _byPrefix[prefixKey] = mine + want;
        }
        return (new Reservation(this, want, prefixKey, burst), null);
    }

    void Give(long bitsPerSecond, string prefixKey)
    {
        lock (_lock)
        {
            _reserved -= bitsPerSecond;
            long left = _byPrefix.GetValueOrDefault(prefixKey) - bitsPerSecond;
            if (left <= 0) _byPrefix.Remove(prefixKey);
            else _byPrefix[prefixKey] = left;
        }
    }

    /// <summary>One session's share; <see cref="Release"/> gives it back once, however often it is called.</summary>
    public sealed class Reservation(OwampCapacity owner, long bitsPerSecond, string prefixKey, bool burst = false)
    {
        long _held = bitsPerSecond;

        public long BitsPerSecond => Volatile.Read(ref _held);

        /// <summary>
        /// Gives the share back once the session ran: a burst one second later. It holds all its packets in
        /// one second; given back at once, a peer could run burst sessions back to back and have many times
        /// its reservation sent within a second (RFC 4656 §6.5: the capacity MUST be limited).
        /// </summary>
        public void End()
        {
            if (!burst || Volatile.Read(ref _held) == 0) { Release(); return; }
            _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ => Release(), TaskScheduler.Default);
        }

        public void Release()
        {
            long held = Interlocked.Exchange(ref _held, 0);
            if (held != 0) owner.Give(held, prefixKey);
        }
    }
}
