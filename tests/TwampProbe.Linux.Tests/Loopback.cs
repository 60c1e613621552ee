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

    /// <summary>
    /// Sends datagrams from <paramref name="tx"/> to <paramref name="rx"/> until one arrives with a kernel RX
    /// timestamp (at most <paramref name="timeoutMs"/>); false when none did. The kernel turns RX timestamping
    /// on for the whole system from a work queue when the first timestamping socket opens, and again after
    /// the last one closed (which the parallel test classes make happen all the time): until that work has
    /// run, later on a busy host, datagrams come without one. Once on, it stays on while rx is open.
    /// </summary>
    public static bool WarmUpRxTimestamps(UdpTestSocket tx, UdpTestSocket rx, int timeoutMs = 5000)
    {
        using var batch = new PacketBatch(1, 64);
        var dest = PeerOf(rx);
        long deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            tx.SendTo(new byte[8], dest, -1);
            if (rx.Receive(batch, 1000, maxPackets: 1) == 1 && batch.Meta(0).TimestampSource == TimestampSource.Kernel)
            {
                return true;
            }

            Thread.Sleep(1);
        }

        return false;
    }

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
