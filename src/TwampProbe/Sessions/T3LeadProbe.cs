using System.Runtime.CompilerServices;
using TwampProbe.Linux.Net;

namespace TwampProbe.Sessions;

/// <summary>
/// Diagnostic of the reflector's send path, off unless <see cref="ReflectorOptions.MeasureT3Lead"/> is set
/// (the bench sets it): how far each reply's T3 leads its real departure, as the reflector socket's own
/// kernel TX timestamp (SO_TIMESTAMPING, OPT_ID) minus the T3 written into the reply. Both are
/// CLOCK_REALTIME nanoseconds (a hardware TX timestamp has been converted to system time by the socket).
/// <para>Matching: OPT_ID numbers the datagrams a socket sent, from 0. The probe counts the datagrams each
/// socket sent the same way and remembers the T3 of the last <see cref="Window"/> of them. A datagram the
/// kernel rejected (counted in <see cref="UdpTestSocket.SendFailures"/>) gets no key; the socket is then
/// out of step and its later stamps are counted in <see cref="Unmatched"/>, not measured.</para>
/// <para>Threads: the reflector thread(s) record; <see cref="Leads"/> and <see cref="Reset"/> may be called
/// from any thread (one lock: a diagnostic, not the production path).</para>
/// </summary>
public sealed class T3LeadProbe
{
    const int Window = 4096;
    readonly Lock _lock = new();
    readonly ConditionalWeakTable<UdpTestSocket, PerSocket> _sockets = new();
    readonly TxTimestamp[] _tx = new TxTimestamp[64];
    readonly long[] _leads;
    readonly long[] _runs = new long[ReflectorEngine.BatchSize + 1];
    int _count;
    long _unmatched;

    sealed class PerSocket
    {
        public uint Sent;
        public bool OutOfStep;
        public readonly long[] T3 = new long[Window];
    }

    /// <summary>Keeps at most <paramref name="capacity"/> leads (later ones are dropped until <see cref="Reset"/>).</summary>
    public T3LeadProbe(int capacity = 1 << 20) => _leads = new long[capacity];

    /// <summary>TX timestamps that could not be paired with a T3 (out of step, or older than the window).</summary>
    public long Unmatched { get { lock (_lock) return _unmatched; } }

    /// <summary>
    /// After a send of <paramref name="t3"/>.Length replies of which <paramref name="sent"/> left: remembers
    /// their T3 and pairs every TX timestamp already queued with the T3 of its datagram.
    /// </summary>
    public void Sent(UdpTestSocket socket, ReadOnlySpan<long> t3, int sent)
    {
        lock (_lock)
        {
            _runs[Math.Min(t3.Length, _runs.Length - 1)]++;
            var s = _sockets.GetOrCreateValue(socket);
            if (sent != t3.Length || socket.SendFailures != 0) s.OutOfStep = true;
            for (int i = 0; i < sent; i++) s.T3[(s.Sent + (uint)i) % Window] = t3[i];
            s.Sent += (uint)sent;
            int n;
            while ((n = socket.ReadTransmitTimestamps(_tx)) > 0)
                for (int i = 0; i < n; i++)
                {
                    var stamp = _tx[i];
                    uint age = s.Sent - stamp.Id; // stamps of datagrams not yet counted come out as huge ages
                    if (s.OutOfStep || age == 0 || age > Window) { _unmatched++; continue; }
                    if (_count < _leads.Length) _leads[_count++] = stamp.UnixNanoseconds - s.T3[stamp.Id % Window];
                }
        }
    }

    /// <summary>The leads measured so far (nanoseconds, in arrival order).</summary>
    public long[] Leads()
    {
        lock (_lock) return _leads.AsSpan(0, _count).ToArray();
    }

    /// <summary>How many sendmmsg calls carried n replies, at index n.</summary>
    public long[] RunLengths()
    {
        lock (_lock) return (long[])_runs.Clone();
    }

    /// <summary>Forgets what was measured so far (sockets stay in step).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _count = 0;
            _unmatched = 0;
            Array.Clear(_runs);
        }
    }
}
