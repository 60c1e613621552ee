using System.Buffers.Binary;
using System.Net.Sockets;

namespace TwampProbe.Tests.Cli;

/// <summary>
/// A TWAMP Light reflector on loopback UDP (unauthenticated 41-octet replies, RFC 5357 §4.2.1) that
/// follows a script per sender sequence number, to make known paths for the report: lose a packet on
/// the way out (no reply, no reflector number used), lose its reply on the way back (number used, no
/// reply), delay the reply, or send it twice. It numbers its replies with its own counter, like a full
/// TWAMP reflector, or copies the sender's number, like a stateless Light one (RFC 5357 Appendix I).
/// </summary>
public sealed class ScriptedReflector : IDisposable
{
    readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    readonly Thread _thread;
    readonly List<Thread> _delayed = [];
    volatile bool _stop;
    uint _counter;

    public ScriptedReflector(bool copySequence = false, uint[]? lostForward = null, uint[]? lostBackward = null,
        uint[]? duplicated = null, Dictionary<uint, TimeSpan>? delayed = null)
    {
        CopySequence = copySequence;
        LostForward = [.. lostForward ?? []];
        LostBackward = [.. lostBackward ?? []];
        Duplicated = [.. duplicated ?? []];
        Delayed = delayed ?? [];
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 50;
        _thread = new Thread(Run) { IsBackground = true, Name = "scripted-reflector" };
        _thread.Start();
    }

    public bool CopySequence { get; }
    // Set before the thread starts, read only by it.
    HashSet<uint> LostForward { get; }
    HashSet<uint> LostBackward { get; }
    HashSet<uint> Duplicated { get; }
    Dictionary<uint, TimeSpan> Delayed { get; }
    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    void Run()
    {
        var request = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop)
        {
            int n;
            try { n = _socket.ReceiveFrom(request, ref from); }
            catch (SocketException) { continue; }
            if (n < 14) continue;
            uint seq = BinaryPrimitives.ReadUInt32BigEndian(request);
            if (LostForward.Contains(seq)) continue;
            uint number = CopySequence ? seq : _counter++;
            if (LostBackward.Contains(seq)) continue;
            var reply = Reply(request, seq, number);
            var to = from;
            if (Delayed.TryGetValue(seq, out var delay))
            {
                // Its own thread: a busy thread pool must not stretch the delay.
                var later = new Thread(() => { Thread.Sleep(delay); Send(reply, to); }) { IsBackground = true };
                later.Start();
                _delayed.Add(later);
                continue;
            }
            Send(reply, to);
            if (Duplicated.Contains(seq)) Send(reply, to);
        }
    }

    static byte[] Reply(byte[] request, uint seq, uint number)
    {
        long now = (long)((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
        var reply = new byte[41];
        BinaryPrimitives.WriteUInt32BigEndian(reply, number);                // Sequence Number (the reflector's)
        NtpTimestamp.FromUnixNanoseconds(now).Write(reply.AsSpan(4));        // T3
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(12), 0x0001);    // Error Estimate: valid, unsynchronized
        NtpTimestamp.FromUnixNanoseconds(now).Write(reply.AsSpan(16));       // T2
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(24), seq);        // Sender Sequence Number
        request.AsSpan(4, 10).CopyTo(reply.AsSpan(28));                       // Sender Timestamp + Error Estimate
        reply[40] = 255;                                                      // Sender TTL
        return reply;
    }

    void Send(byte[] reply, EndPoint to)
    {
        try { _socket.SendTo(reply, SocketFlags.None, to); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        foreach (var t in _delayed) t.Join();
        _socket.Dispose();
    }
}
