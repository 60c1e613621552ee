using System.Buffers.Binary;
using TwampProbe.Linux.Net;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Tests.Support;

/// <summary>A Session-Sender on a real loopback UDP socket, building packets by hand.</summary>
public sealed class TestSender : IDisposable
{
    public UdpTestSocket Socket { get; }
    public PacketBatch Batch { get; } = new(4, 2048);
    public int Port => Socket.LocalEndPoint.Port;

    public TestSender(int ttl = 64) =>
        Socket = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions
        {
            ReceiveTimestamps = false,
            ReceiveTtl = true,
            ReceiveTrafficClass = true,
            SendTtl = ttl,
        });

    /// <summary>Writes a sender packet (unprotected) of header + padding octets into <paramref name="packet"/>.</summary>
    public static void Fill(Span<byte> packet, TestPacketLayout layout, uint sequence, NtpTimestamp t1, ushort errorEstimate = 0x8001)
    {
        packet[..layout.SenderHeader].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(packet, sequence);
        t1.Write(packet[layout.SenderTimestamp..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[layout.SenderErrorEstimate..], errorEstimate);
        for (int i = layout.SenderHeader; i < packet.Length; i++) packet[i] = (byte)(i * 3);
    }

    public static byte[] Packet(TestPacketLayout layout, int padding, uint sequence, NtpTimestamp t1, TestPacketCrypto? crypto = null)
    {
        var p = new byte[layout.SenderHeader + padding];
        Fill(p, layout, sequence, t1);
        crypto?.ProtectSender(p);
        return p;
    }

    public void SendTo(ReadOnlySpan<byte> packet, int port) =>
        Socket.SendTo(packet, UdpPeer.From(new IPEndPoint(IPAddress.Loopback, port)), -1);

    /// <summary>Waits up to <paramref name="timeoutMs"/> for one reply; null when none came.</summary>
    public (byte[] Data, PacketMeta Meta)? Receive(int timeoutMs = 1000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            int left = (int)Math.Max(1, deadline - Environment.TickCount64);
            // One at a time: a reply left in the socket is the next call's.
            int n = Socket.Receive(Batch, left, maxPackets: 1);
            if (n > 0) return (Batch.Buffer(0)[..Batch.Meta(0).Length].ToArray(), Batch.Meta(0));
            if (Environment.TickCount64 >= deadline) return null;
        }
    }

    public void Dispose()
    {
        Socket.Dispose();
        Batch.Dispose();
    }
}
