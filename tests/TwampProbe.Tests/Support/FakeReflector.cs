using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace TwampProbe.Tests.Support;

/// <summary>
/// A hand-written TWAMP Light reflector on a real loopback UDP socket (unauthenticated formats,
/// RFC 5357 §4.2.1) that sends replies of exactly <see cref="ReplyLength"/> octets — 41 is conforming;
/// deployed non-conforming reflectors send 38 (everything up to the Sender Error Estimate). It records
/// when each sender sequence number arrived (Stopwatch ticks, monotonic).
/// </summary>
public sealed class FakeReflector : IDisposable
{
    readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    readonly Thread _thread;
    readonly List<(uint Seq, long Ticks)> _arrivals = [];
    volatile bool _stop;
    uint _sequence;

    public int ReplyLength { get; }
    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public FakeReflector(int replyLength = 41)
    {
        ReplyLength = replyLength;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 50;
        _thread = new Thread(Run) { IsBackground = true, Name = "fake-reflector" };
        _thread.Start();
    }

    /// <summary>Arrivals so far, in arrival order.</summary>
    public (uint Seq, long Ticks)[] Arrivals { get { lock (_arrivals) return [.. _arrivals]; } }

    void Run()
    {
        var request = new byte[2048];
        var reply = new byte[Math.Max(ReplyLength, 41)];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop)
        {
            int n;
            try { n = _socket.ReceiveFrom(request, ref from); }
            catch (SocketException) { continue; }
            long ticks = Stopwatch.GetTimestamp();
            if (n < 14) continue;
            long now = (long)((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
            uint seq = BinaryPrimitives.ReadUInt32BigEndian(request);
            lock (_arrivals) _arrivals.Add((seq, ticks));
            Array.Clear(reply);
            BinaryPrimitives.WriteUInt32BigEndian(reply, _sequence++);
            NtpTimestamp.FromUnixNanoseconds(now).Write(reply.AsSpan(4));        // T3
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(12), 0x0001);    // Error Estimate: valid, unsynchronized
            NtpTimestamp.FromUnixNanoseconds(now).Write(reply.AsSpan(16));       // T2
            BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(24), seq);        // Sender Sequence Number
            request.AsSpan(4, 10).CopyTo(reply.AsSpan(28));                       // Sender Timestamp + Error Estimate
            reply[40] = 255;                                                      // Sender TTL (cut off when short)
            try { _socket.SendTo(reply.AsSpan(0, ReplyLength), SocketFlags.None, from); }
            catch (SocketException) { }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _socket.Dispose();
    }
}
