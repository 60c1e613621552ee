using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace TwampProbe.Protocol.Tests.Golden;

public class PcapngReaderTests
{
    // Expected values cross-checked with tshark 4.x (`tshark -r F -T fields -e tcp.len -e udp.length -e ip.dsfield -e ip.ttl`,
    // `tshark -r F -q -z follow,tcp,raw,0`); asserted here without running tshark.
    [Theory]
    [InlineData("twamp_O.pcapng", 27)]
    [InlineData("twamp_A.pcapng", 27)]
    [InlineData("twamp_E.pcapng", 27)]
    [InlineData("twamp_M.pcapng", 27)]
    [InlineData("twamp_dscp46.pcapng", 10)]
    [InlineData("owamp_O.pcapng", 236)]
    [InlineData("owamp_A.pcapng", 241)]
    [InlineData("owamp_E.pcapng", 240)]
    public void EveryFixtureParsesAndEveryFrameDecodes(string file, int frames)
    {
        IReadOnlyList<CapturedFrame> all = PcapngReader.Read(TwampCapture.FixturePath(file));
        Assert.Equal(frames, all.Count);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal(i + 1, all[i].Number);
            Assert.Equal(1, all[i].LinkType);
            DecodedPacket? p = PacketDecoder.Decode(all[i]);
            Assert.NotNull(p);
            Assert.Equal(IPAddress.Loopback, p.Source);
            Assert.Equal(IPAddress.Loopback, p.Destination);
        }
    }

    [Fact]
    public void TwampO_ControlStreams()
    {
        TwampCapture c = TwampCapture.Load("twamp_O.pcapng");
        Assert.True(c.HasControlConnection);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 46028), c.ClientEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 862), c.ServerEndPoint);
        Assert.Equal(IPAddress.Loopback, c.ClientAddress);
        Assert.Equal(IPAddress.Loopback, c.ServerAddress);
        Assert.Equal(17, c.ControlPackets.Count); // 27 frames - 10 UDP

        // Set-Up-Response (164) + Request-TW-Session (112) + Start-Sessions (32) + Stop-Sessions (32).
        Assert.Equal(164 + 112 + 32 + 32, c.ClientToServer.Length);
        Assert.Equal(new byte[] { 0, 0, 0, 1 }, c.ClientToServer[..4]);
        Assert.Equal(5, c.ClientToServer[164]); // Request-TW-Session command number
        Assert.Equal(2, c.ClientToServer[164 + 112]); // Start-Sessions
        Assert.Equal(3, c.ClientToServer[164 + 112 + 32]); // Stop-Sessions

        // Server-Greeting (64) + Server-Start (48) + Accept-Session (48) + Start-Ack (32).
        Assert.Equal(64 + 48 + 48 + 32, c.ServerToClient.Length);
        Assert.Equal(new byte[] { 0, 0, 0, 0x0F }, c.ServerToClient[12..16]); // modes O|A|E|M
        Assert.Equal(new byte[] { 0, 0, 0x08, 0 }, c.ServerToClient[48..52]); // Count = 2048
    }

    [Fact]
    public void TwampO_TestPackets()
    {
        TwampCapture c = TwampCapture.Load("twamp_O.pcapng");
        Assert.Equal(10, c.TestPackets.Count);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9599), c.SenderEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 19802), c.ReflectorEndPoint);
        Assert.Equal(5, c.SenderPackets.Count);
        Assert.Equal(5, c.ReflectorPackets.Count);
        Assert.Equal(new[] { 14, 16, 18, 20, 22 }, c.SenderPackets.Select(p => p.Frame));
        Assert.Equal(new[] { 15, 17, 19, 21, 23 }, c.ReflectorPackets.Select(p => p.Frame));
        Assert.All(c.SenderPackets, p => Assert.Equal(14 + 27, p.Payload.Length));
        Assert.All(c.ReflectorPackets, p => Assert.Equal(41, p.Payload.Length));
        Assert.All(c.TestPackets, p => Assert.Equal(255, p.Ttl));
        Assert.All(c.TestPackets, p => Assert.Equal(0, p.TrafficClass));
        Assert.Equal(ProtocolType.Udp, c.TestPackets[0].Protocol);
        // Sender sequence numbers 0..4.
        Assert.Equal(new uint[] { 0, 1, 2, 3, 4 },
            c.SenderPackets.Select(p => BinaryPrimitives.ReadUInt32BigEndian(p.Payload)));
    }

    [Fact]
    public void TwampO_Timestamps_NanosecondResolution()
    {
        TwampCapture c = TwampCapture.Load("twamp_O.pcapng");
        // tshark: frame 1 epoch 1795364538.991562114, frame 14 epoch 1795364540.050545716 (if_tsresol = 9).
        Assert.Equal(DateTime.UnixEpoch.AddTicks(17953645389915621), c.Frames[0].TimestampUtc);
        Assert.Equal(DateTime.UnixEpoch.AddTicks(17953645400505457), c.SenderPackets[0].Time);
        Assert.Equal(DateTimeKind.Utc, c.Frames[0].TimestampUtc.Kind);
    }

    [Theory]
    [InlineData("twamp_A.pcapng", 112)]
    [InlineData("twamp_E.pcapng", 112)]
    [InlineData("twamp_M.pcapng", 41)]
    public void OtherTwampModes(string file, int payload)
    {
        TwampCapture c = TwampCapture.Load(file);
        Assert.Equal(340, c.ClientToServer.Length);
        Assert.Equal(192, c.ServerToClient.Length);
        Assert.Equal(5, c.SenderPackets.Count);
        Assert.Equal(5, c.ReflectorPackets.Count);
        Assert.All(c.TestPackets, p => Assert.Equal(payload, p.Payload.Length));
        Assert.All(c.ReflectorPackets, p => Assert.Equal(255, p.Ttl));
    }

    [Fact]
    public void Dscp46_TestPacketsCarryTosB8()
    {
        TwampCapture c = TwampCapture.Load("twamp_dscp46.pcapng");
        Assert.False(c.HasControlConnection); // the capture holds only the test packets
        Assert.Empty(c.ClientToServer);
        Assert.Empty(c.ServerToClient);
        Assert.Equal(IPAddress.Loopback, c.ClientAddress);
        Assert.Equal(5, c.SenderPackets.Count);
        Assert.Equal(5, c.ReflectorPackets.Count);
        Assert.All(c.TestPackets, p => Assert.Equal(0xB8, p.TrafficClass));
        Assert.All(c.TestPackets, p => Assert.Equal(46, p.Dscp));
        Assert.All(c.TestPackets, p => Assert.Equal(41, p.Payload.Length));
    }

    [Fact]
    public void Owamp_ControlOnPort861()
    {
        TwampCapture c = TwampCapture.Load("owamp_O.pcapng", controlPort: 861);
        Assert.True(c.HasControlConnection);
        Assert.Equal(596, c.ClientToServer.Length);
        Assert.Equal(3024, c.ServerToClient.Length);
        Assert.Equal(new byte[] { 0, 0, 0, 1 }, c.ClientToServer[..4]);
        Assert.Equal(200, c.TestPackets.Count);
        Assert.Equal(100, c.SenderPackets.Count);
        Assert.All(c.TestPackets, p => Assert.Equal(14, p.Payload.Length));

        Assert.False(TwampCapture.Load("owamp_O.pcapng").HasControlConnection);
    }

    // ---- synthetic files: byte order, other link types, SPB, skipped blocks, retransmissions ----

    [Fact]
    public void BigEndianSection_RawIPv6_Spb_AndUnknownBlocksSkipped()
    {
        byte[] udp6 = Ipv6Udp(IPAddress.Parse("2001:db8::1"), IPAddress.Parse("2001:db8::2"), 0xB8, 64, 5000, 862, [1, 2, 3]);
        var w = new BlockWriter(bigEndian: true);
        w.Shb();
        w.Idb(linkType: 101, tsresol: null); // default microseconds
        w.Block(0x00000005, new byte[8]); // ISB, skipped
        w.Epb(0, 1_700_000_000_123_456UL, udp6);
        w.Spb(udp6);
        IReadOnlyList<CapturedFrame> frames = PcapngReader.Parse(w.ToArray());

        Assert.Equal(2, frames.Count);
        Assert.Equal(DateTime.UnixEpoch.AddSeconds(1_700_000_000).AddTicks(1_234_560), frames[0].TimestampUtc);
        Assert.Equal(2, frames[1].Number);
        foreach (CapturedFrame f in frames)
        {
            DecodedPacket p = PacketDecoder.Decode(f)!;
            Assert.Equal(IPAddress.Parse("2001:db8::1"), p.Source);
            Assert.Equal(IPAddress.Parse("2001:db8::2"), p.Destination);
            Assert.Equal(0xB8, p.TrafficClass);
            Assert.Equal(64, p.Ttl);
            Assert.Equal(ProtocolType.Udp, p.Protocol);
            Assert.Equal(5000, p.SourcePort);
            Assert.Equal(862, p.DestinationPort);
            Assert.Equal(new byte[] { 1, 2, 3 }, p.Payload);
        }
    }

    [Theory]
    [InlineData(113)]
    [InlineData(276)]
    [InlineData(0)]
    [InlineData(108)]
    [InlineData(1)]
    public void LinkTypes(int linkType)
    {
        byte[] ip = Ipv4Tcp(0x28, 63, 40000, 862, 1000, 0x18, [9, 8, 7]);
        byte[] link = linkType switch
        {
            113 => [.. new byte[14], 0x08, 0x00, .. ip],
            276 => [0x08, 0x00, .. new byte[18], .. ip],
            0 => [2, 0, 0, 0, .. ip],
            108 => [0, 0, 0, 2, .. ip],
            _ => [.. new byte[12], 0x81, 0x00, 0, 5, 0x08, 0x00, .. ip, 0, 0], // VLAN tag + Ethernet padding
        };
        DecodedPacket p = PacketDecoder.Decode(new CapturedFrame(1, DateTime.UnixEpoch, link, linkType))!;
        Assert.Equal(IPAddress.Parse("10.0.0.1"), p.Source);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), p.Destination);
        Assert.Equal(0x28, p.TrafficClass);
        Assert.Equal(63, p.Ttl);
        Assert.Equal(ProtocolType.Tcp, p.Protocol);
        Assert.Equal(1000u, p.TcpSeq);
        Assert.Equal(0x18, p.TcpFlags);
        Assert.Equal(new byte[] { 9, 8, 7 }, p.Payload);
    }

    [Fact]
    public void Reassembly_OutOfOrderAndRetransmitted()
    {
        var w = new BlockWriter(bigEndian: false);
        w.Shb();
        w.Idb(linkType: 101, tsresol: 9);
        w.Epb(0, 1, Ipv4Tcp(0, 64, 40000, 862, 99, DecodedPacket.Syn, []));
        w.Epb(0, 2, Ipv4Tcp(0, 64, 862, 40000, 4999, DecodedPacket.Syn | DecodedPacket.Ack, []));
        w.Epb(0, 3, Ipv4Tcp(0, 64, 862, 40000, 5000, DecodedPacket.Ack, [1, 2, 3]));
        w.Epb(0, 4, Ipv4Tcp(0, 64, 40000, 862, 103, DecodedPacket.Ack, [14, 15]));   // out of order
        w.Epb(0, 5, Ipv4Tcp(0, 64, 40000, 862, 100, DecodedPacket.Ack, [11, 12, 13]));
        w.Epb(0, 6, Ipv4Tcp(0, 64, 40000, 862, 100, DecodedPacket.Ack, [11, 12, 13])); // retransmission
        w.Epb(0, 7, Ipv4Tcp(0, 64, 40000, 862, 102, DecodedPacket.Ack, [13, 14, 15, 16])); // overlap
        w.Epb(0, 8, Ipv4Tcp(0, 64, 862, 40000, 5000, DecodedPacket.Ack, [1, 2, 3])); // retransmission
        string path = Path.Combine(Path.GetTempPath(), $"golden-{Guid.NewGuid():N}.pcapng");
        File.WriteAllBytes(path, w.ToArray());
        try
        {
            TwampCapture c = TwampCapture.Load(path);
            Assert.Equal(new byte[] { 11, 12, 13, 14, 15, 16 }, c.ClientToServer);
            Assert.Equal(new byte[] { 1, 2, 3 }, c.ServerToClient);
            Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 40000), c.ClientEndPoint);
            Assert.Equal(IPAddress.Parse("10.0.0.2"), c.ServerAddress);
            Assert.Empty(c.TestPackets);
            Assert.Equal(DateTime.UnixEpoch, c.Frames[0].TimestampUtc); // 1 ns rounds down to 0 ticks
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Ipv4Tcp(byte tos, byte ttl, int sport, int dport, uint seq, byte flags, byte[] payload)
    {
        var b = new byte[40 + payload.Length];
        b[0] = 0x45;
        b[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)b.Length);
        b[8] = ttl;
        b[9] = 6;
        bool fromServer = sport == 862; // server side is 10.0.0.2
        IPAddress.Parse(fromServer ? "10.0.0.2" : "10.0.0.1").GetAddressBytes().CopyTo(b, 12);
        IPAddress.Parse(fromServer ? "10.0.0.1" : "10.0.0.2").GetAddressBytes().CopyTo(b, 16);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(20), (ushort)sport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(22), (ushort)dport);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(24), seq);
        b[32] = 0x50;
        b[33] = flags;
        payload.CopyTo(b, 40);
        return b;
    }

    private static byte[] Ipv6Udp(IPAddress src, IPAddress dst, byte tc, byte hop, int sport, int dport, byte[] payload)
    {
        var b = new byte[48 + payload.Length];
        b[0] = (byte)(0x60 | (tc >> 4));
        b[1] = (byte)(tc << 4);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)(8 + payload.Length));
        b[6] = 17;
        b[7] = hop;
        src.GetAddressBytes().CopyTo(b, 8);
        dst.GetAddressBytes().CopyTo(b, 24);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(40), (ushort)sport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(42), (ushort)dport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(44), (ushort)(8 + payload.Length));
        payload.CopyTo(b, 48);
        return b;
    }

    private sealed class BlockWriter(bool bigEndian)
    {
        private readonly MemoryStream _s = new();

        public void Shb() => Block(0x0A0D0D0A, [.. U32(0x1A2B3C4D), .. U16(1), .. U16(0), .. new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }]);

        public void Idb(int linkType, byte? tsresol)
        {
            byte[] body = [.. U16((ushort)linkType), .. U16(0), .. U32(0)];
            if (tsresol is byte r)
                body = [.. body, .. U16(9), .. U16(1), r, 0, 0, 0, .. U16(0), .. U16(0)];
            Block(1, body);
        }

        public void Epb(uint ifId, ulong ts, byte[] data) =>
            Block(6, [.. U32(ifId), .. U32((uint)(ts >> 32)), .. U32((uint)ts), .. U32((uint)data.Length), .. U32((uint)data.Length), .. Pad(data)]);

        public void Spb(byte[] data) => Block(3, [.. U32((uint)data.Length), .. Pad(data)]);

        public void Block(uint type, byte[] body)
        {
            uint len = (uint)(12 + body.Length);
            _s.Write(U32(type));
            _s.Write(U32(len));
            _s.Write(body);
            _s.Write(U32(len));
        }

        public byte[] ToArray() => _s.ToArray();

        private static byte[] Pad(byte[] d) => [.. d, .. new byte[(4 - d.Length % 4) % 4]];

        private byte[] U32(uint v)
        {
            var b = new byte[4];
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            return b;
        }

        private byte[] U16(ushort v)
        {
            var b = new byte[2];
            if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            return b;
        }
    }
}
