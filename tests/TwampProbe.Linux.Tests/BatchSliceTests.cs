using TwampProbe.Linux.Net;
using Xunit;

namespace TwampProbe.Linux.Tests;

/// <summary>Send(batch, first, count): the reflector sends the slots of one batch in several sendmmsg calls.</summary>
public sealed class BatchSliceTests
{
    [Fact]
    public void SliceSendsExactlyItsSlotsInOrder()
    {
        using var rx = Loopback.Bind(false, new UdpSocketOptions { ReceiveBufferBytes = 1 << 20 });
        using var tx = Loopback.Bind(false);
        using var batch = new PacketBatch(5, 64);
        for (int i = 0; i < 5; i++)
        {
            batch.Buffer(i)[0] = (byte)(100 + i);
            batch.Meta(i) = new PacketMeta { Length = 1 + i, Peer = Loopback.PeerOf(rx), TrafficClass = -1 };
        }

        Assert.Equal(3, tx.Send(batch, 2, 3));

        var got = new List<(byte First, int Length)>();
        using var into = new PacketBatch(8, 64);
        Loopback.ReceiveAll(rx, into, 3, i => got.Add((into.Buffer(i)[0], into.Meta(i).Length)));
        Assert.Equal([(102, 3), (103, 4), (104, 5)], got);
        Assert.Equal(0, rx.Receive(into, 100));
    }

    [Fact]
    public void SlicePastTheEndIsRefused()
    {
        using var tx = Loopback.Bind(false);
        using var batch = new PacketBatch(4, 64);
        Assert.Throws<ArgumentOutOfRangeException>(() => tx.Send(batch, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => tx.Send(batch, -1, 1));
    }
}
