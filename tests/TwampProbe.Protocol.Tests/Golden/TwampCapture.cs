using System.Net;
using System.Net.Sockets;

namespace TwampProbe.Protocol.Tests.Golden;

/// <summary>
/// A golden TWAMP/OWAMP capture: the reassembled control-connection byte streams and the UDP test packets.
/// </summary>
public sealed class TwampCapture
{
    private TwampCapture(
        string path,
        IReadOnlyList<CapturedFrame> frames,
        IReadOnlyList<DecodedPacket> packets,
        IReadOnlyList<DecodedPacket> controlPackets,
        IPEndPoint? clientEndPoint,
        IPEndPoint? serverEndPoint,
        byte[] clientToServer,
        byte[] serverToClient,
        IReadOnlyList<DecodedPacket> testPackets,
        IPEndPoint? senderEndPoint)
    {
        Path = path;
        Frames = frames;
        Packets = packets;
        ControlPackets = controlPackets;
        ClientEndPoint = clientEndPoint;
        ServerEndPoint = serverEndPoint;
        ClientToServer = clientToServer;
        ServerToClient = serverToClient;
        TestPackets = testPackets;
        SenderEndPoint = senderEndPoint;
        SenderPackets = senderEndPoint is null ? [] : testPackets.Where(p => p.SourceEndPoint.Equals(senderEndPoint)).ToList();
        ReflectorPackets = senderEndPoint is null ? [] : testPackets.Where(p => p.DestinationEndPoint.Equals(senderEndPoint)).ToList();
        ReflectorEndPoint = ReflectorPackets.Count > 0 ? ReflectorPackets[0].SourceEndPoint
            : SenderPackets.Count > 0 ? SenderPackets[0].DestinationEndPoint : null;

        IPAddress? client = clientEndPoint?.Address ?? senderEndPoint?.Address;
        IPAddress? server = serverEndPoint?.Address ?? ReflectorEndPoint?.Address;
        if (client is null || server is null)
            throw new InvalidDataException($"{path}: neither a control connection nor UDP test packets found.");
        ClientAddress = client;
        ServerAddress = server;
    }

    /// <summary>Full path of the capture file.</summary>
    public string Path { get; }

    /// <summary>All frames of the file.</summary>
    public IReadOnlyList<CapturedFrame> Frames { get; }

    /// <summary>All frames that decode as TCP/UDP over IP, in frame order.</summary>
    public IReadOnlyList<DecodedPacket> Packets { get; }

    /// <summary>True when the capture contains a TCP connection on the control port.</summary>
    public bool HasControlConnection => ClientEndPoint is not null;

    /// <summary>The TCP packets (both directions) of the control connection, in frame order.</summary>
    public IReadOnlyList<DecodedPacket> ControlPackets { get; }

    /// <summary>Control client endpoint (the side not on the control port), or null without control connection.</summary>
    public IPEndPoint? ClientEndPoint { get; }

    /// <summary>Control server endpoint (address, control port), or null without control connection.</summary>
    public IPEndPoint? ServerEndPoint { get; }

    /// <summary>Control client address; falls back to the UDP sender address when there is no control connection.</summary>
    public IPAddress ClientAddress { get; }

    /// <summary>Control server address; falls back to the UDP reflector address when there is no control connection.</summary>
    public IPAddress ServerAddress { get; }

    /// <summary>Reassembled client-to-server control stream (payload bytes only, in sequence order, retransmissions removed).</summary>
    public byte[] ClientToServer { get; }

    /// <summary>Reassembled server-to-client control stream.</summary>
    public byte[] ServerToClient { get; }

    /// <summary>All UDP packets, in frame order.</summary>
    public IReadOnlyList<DecodedPacket> TestPackets { get; }

    /// <summary>Source endpoint of the first UDP packet (the session sender), or null without UDP packets.</summary>
    public IPEndPoint? SenderEndPoint { get; }

    /// <summary>The peer of <see cref="SenderEndPoint"/> (the reflector / OWAMP receiver), or null.</summary>
    public IPEndPoint? ReflectorEndPoint { get; }

    /// <summary>UDP packets sent from <see cref="SenderEndPoint"/>.</summary>
    public IReadOnlyList<DecodedPacket> SenderPackets { get; }

    /// <summary>UDP packets sent to <see cref="SenderEndPoint"/> (TWAMP reflected packets).</summary>
    public IReadOnlyList<DecodedPacket> ReflectorPackets { get; }

    /// <summary>Full path of a fixture in the test output folder (fixtures/captures/).</summary>
    public static string FixturePath(string fileName) =>
        System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", "captures", fileName);

    /// <summary>
    /// Loads a capture. <paramref name="fileName"/> is looked up in fixtures/captures/ of the test output
    /// unless it is rooted. Use controlPort 861 for OWAMP captures.
    /// </summary>
    public static TwampCapture Load(string fileName, int controlPort = 862)
    {
        string path = System.IO.Path.IsPathRooted(fileName) ? fileName : FixturePath(fileName);
        IReadOnlyList<CapturedFrame> frames = PcapngReader.Read(path);
        List<DecodedPacket> packets = frames.Select(PacketDecoder.Decode).OfType<DecodedPacket>().ToList();

        // Control connection: the first TCP conversation with the control port on one side.
        List<DecodedPacket> tcp = packets.Where(p => p.Protocol == ProtocolType.Tcp).ToList();
        DecodedPacket? first =
            tcp.FirstOrDefault(p => p.DestinationPort == controlPort && (p.TcpFlags & (DecodedPacket.Syn | DecodedPacket.Ack)) == DecodedPacket.Syn)
            ?? tcp.FirstOrDefault(p => p.DestinationPort == controlPort || p.SourcePort == controlPort);

        IPEndPoint? client = null, server = null;
        List<DecodedPacket> control = [];
        byte[] c2s = [], s2c = [];
        if (first is not null)
        {
            bool fromClient = first.DestinationPort == controlPort;
            client = fromClient ? first.SourceEndPoint : first.DestinationEndPoint;
            server = fromClient ? first.DestinationEndPoint : first.SourceEndPoint;
            IPEndPoint c = client, s = server;
            control = tcp.Where(p =>
                (p.SourceEndPoint.Equals(c) && p.DestinationEndPoint.Equals(s)) ||
                (p.SourceEndPoint.Equals(s) && p.DestinationEndPoint.Equals(c))).ToList();
            c2s = Reassemble(path, control.Where(p => p.SourceEndPoint.Equals(c)).ToList());
            s2c = Reassemble(path, control.Where(p => p.SourceEndPoint.Equals(s)).ToList());
        }

        List<DecodedPacket> udp = packets.Where(p => p.Protocol == ProtocolType.Udp).ToList();
        IPEndPoint? sender = udp.Count > 0 ? udp[0].SourceEndPoint : null;

        return new TwampCapture(path, frames, packets, control, client, server, c2s, s2c, udp, sender);
    }

    /// <summary>Reassembles one direction of a TCP connection (segments in frame order).</summary>
    private static byte[] Reassemble(string path, List<DecodedPacket> segments)
    {
        // Initial sequence: SYN seq + 1; without a SYN, the lowest (wrap-aware) data sequence number.
        DecodedPacket? syn = segments.FirstOrDefault(p => (p.TcpFlags & DecodedPacket.Syn) != 0);
        var data = segments
            .Select(p => (Packet: p, Seq: (p.TcpFlags & DecodedPacket.Syn) != 0 ? p.TcpSeq + 1 : p.TcpSeq))
            .Where(x => x.Packet.Payload.Length > 0)
            .ToList();
        if (data.Count == 0) return [];

        uint isn = syn is not null ? syn.TcpSeq + 1 : data[0].Seq;
        if (syn is null)
        {
            int min = data.Min(x => unchecked((int)(x.Seq - isn)));
            isn = unchecked(isn + (uint)min);
        }

        var ordered = data
            .Select(x => (x.Packet, Offset: (long)unchecked((int)(x.Seq - isn))))
            .OrderBy(x => x.Offset).ThenBy(x => x.Packet.Frame)
            .ToList();

        using var stream = new MemoryStream();
        foreach (var (packet, offset) in ordered)
        {
            long end = offset + packet.Payload.Length;
            if (end <= stream.Length) continue; // full retransmission / duplicate
            if (offset > stream.Length)
                throw new InvalidDataException(
                    $"{path}: gap in TCP stream before frame {packet.Frame} (have {stream.Length} bytes, segment at {offset}).");
            int skip = (int)(stream.Length - offset);
            stream.Write(packet.Payload, skip, packet.Payload.Length - skip);
        }

        return stream.ToArray();
    }
}
