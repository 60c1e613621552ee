using System.Buffers.Binary;
using System.Net;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Tests.Golden;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Protocol.Tests.Owamp;

/// <summary>
/// The two OWAMP-Test sessions of an owping ↔ owampd golden capture, with what a test-packet codec needs:
/// the session keys (from the Token), each session's SID, endpoints, start time, timeout and slots.
/// owping requests first a session the server receives (Conf-Receiver = 1: SID from Accept-Session),
/// then one the server sends (Conf-Sender = 1: SID chosen by owping in Request-Session) — PROTOCOL-OWAMP.md.
/// Only the first part of each control stream is decoded here; the OWAMP-Control codecs have their own tests.
/// </summary>
public sealed class OwampGoldenSessions
{
    // Stream offsets: Setup-Response (164), then two Request-Sessions of 112 + 16 (one slot) + 16 octets.
    const int RequestAt = 164, RequestLength = 144;
    const int ServerStartAt = 64, FirstAcceptAt = 112;

    public sealed record Session(byte[] Sid, IPEndPoint From, IPEndPoint To, NtpTimestamp Start, NtpTimestamp Timeout,
        ScheduleSlot[] Slots, uint Packets, uint Padding, IReadOnlyList<DecodedPacket> TestPackets);

    public required TwampCapture Capture { get; init; }
    public required TwampModes Mode { get; init; }
    public SessionKeys? Keys { get; init; }
    /// <summary>Client → server (the server is the receiver).</summary>
    public required Session ToServer { get; init; }
    /// <summary>Server → client (the client is the receiver).</summary>
    public required Session FromServer { get; init; }

    static readonly KeyFile Secrets = KeyFile.Parse(File.ReadAllText(TwampCapture.FixturePath("golden.pfs")), "golden.pfs");

    public static OwampGoldenSessions Load(string file)
    {
        var cap = TwampCapture.Load(file, controlPort: 861);
        byte[] c2s = cap.ClientToServer.ToArray(), s2c = cap.ServerToClient.ToArray();
        var greeting = ServerGreeting.Parse(s2c.AsSpan(0, ServerGreeting.Size));
        var setup = SetupResponse.Parse(c2s.AsSpan(0, SetupResponse.Size));
        var clearStart = ServerStart.Parse(s2c.AsSpan(ServerStartAt, ServerStart.Size));
        SessionKeys? keys = null;
        if (setup.Mode.HasSecureControl())
        {
            if (!Secrets.TryGetPassphrase(setup.KeyId, out var passphrase)) throw new InvalidDataException($"no secret for {setup.KeyId}");
            var k = SharedSecret.DeriveKey(passphrase, greeting.Salt, greeting.Count);
            keys = Token.Open(k, setup.Token, greeting.Challenge) ?? throw new InvalidDataException("token does not open");
        }
        using var fromClient = keys is null ? ControlCipher.None() : ControlCipher.Create(keys, setup.ClientIv);
        using var fromServer = keys is null ? ControlCipher.None() : ControlCipher.Create(keys, clearStart.ServerIv);

        byte[] request1 = c2s[RequestAt..(RequestAt + RequestLength)];
        byte[] request2 = c2s[(RequestAt + RequestLength)..(RequestAt + 2 * RequestLength)];
        fromClient.Decrypt(request1);
        fromClient.Decrypt(request2);
        byte[] serverTail = s2c[(ServerStartAt + ServerStart.ClearPrefix)..(ServerStartAt + ServerStart.Size)];
        byte[] accept1 = s2c[FirstAcceptAt..(FirstAcceptAt + AcceptSession.Size)];
        byte[] accept2 = s2c[(FirstAcceptAt + AcceptSession.Size)..(FirstAcceptAt + 2 * AcceptSession.Size)];
        fromServer.Decrypt(serverTail);
        fromServer.Decrypt(accept1);
        fromServer.Decrypt(accept2);
        var a1 = AcceptSession.Parse(accept1.AsSpan(0, AcceptSession.BodySize));
        var a2 = AcceptSession.Parse(accept2.AsSpan(0, AcceptSession.BodySize));
        if (request1[3] != 1 || request2[2] != 1) throw new InvalidDataException("expected Conf-Receiver, then Conf-Sender");

        var client = cap.ClientAddress;
        var server = cap.ServerAddress;
        var toServerFrom = new IPEndPoint(client, Port(request1, 12));
        var toServerTo = new IPEndPoint(server, a1.Port);
        var fromServerTo = new IPEndPoint(client, Port(request2, 14));
        var fromServerPackets = cap.TestPackets.Where(p => p.DestinationEndPoint.Equals(fromServerTo)).ToList();
        var fromServerFrom = fromServerPackets[0].SourceEndPoint;
        return new OwampGoldenSessions
        {
            Capture = cap, Mode = setup.Mode, Keys = keys,
            ToServer = Describe(request1, a1.Sid, toServerFrom, toServerTo, cap.TestPackets.Where(p => p.SourceEndPoint.Equals(toServerFrom)).ToList()),
            FromServer = Describe(request2, request2[48..64], fromServerFrom, fromServerTo, fromServerPackets),
        };
    }

    static int Port(byte[] request, int offset) => BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(offset));

    static Session Describe(byte[] request, byte[] sid, IPEndPoint from, IPEndPoint to, List<DecodedPacket> packets)
    {
        uint slots = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(4));
        return new Session(sid, from, to,
            NtpTimestamp.Read(request.AsSpan(68)), NtpTimestamp.Read(request.AsSpan(76)),
            Enumerable.Range(0, (int)slots).Select(i => ScheduleSlot.Read(request.AsSpan(112 + 16 * i))).ToArray(),
            BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(8)), BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(64)),
            packets);
    }
}
