using System.Net;
using TwampProbe.Linux.Net;

namespace TwampProbe.Linux.Tests;

/// <summary>Helpers for loopback socket tests.</summary>
internal static class Loopback
{
    public static IPAddress Address(bool ipv6) => ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;

    public static UdpTestSocket Bind(bool ipv6, UdpSocketOptions? options = null)
        => UdpTestSocket.Bind(new IPEndPoint(Address(ipv6), 0), options ?? new UdpSocketOptions());

    public static UdpPeer PeerOf(UdpTestSocket socket) => UdpPeer.From(socket.LocalEndPoint);

    /// <summary>Receives until <paramref name="expected"/> datagrams arrived or the deadline passed; calls onPacket per slot.</summary>
    public static int ReceiveAll(UdpTestSocket socket, PacketBatch batch, int expected, Action<int> onPacket, int timeoutMs = 3000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        int total = 0;
        while (total < expected && Environment.TickCount64 < deadline)
        {
            int n = socket.Receive(batch, 200);
            for (int i = 0; i < n; i++)
            {
                onPacket(i);
            }

            total += n;
        }

        return total;
    }

    public static void FillPayload(Span<byte> buffer, int index, int length)
    {
        for (int i = 0; i < length; i++)
        {
            buffer[i] = (byte)(index * 7 + i);
        }

        BitConverter.TryWriteBytes(buffer, index);
    }
}
