using System.Net;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Protocol.Wire.Test;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Golden;

/// <summary>
/// The perfSONAR owping ↔ owampd 5.2.3 captures (owamp_O/A/E.pcapng: modes 1, 2, 4; 100 packets each
/// way, one fixed 10 ms slot) read message by message with the library's OWAMP-Control codecs, as a
/// server and a client would: keys derived, both CBC streams decrypted, every HMAC verified (both
/// Request-Session parts, both Stop-Sessions, the four parts of the Fetch-Session data); then both
/// streams rebuilt from the decoded messages with our encoders and sealing, byte for byte.
/// </summary>
public class OwampGoldenCaptureTests
{
    static readonly KeyFile Secrets = KeyFile.Parse(File.ReadAllText(TwampCapture.FixturePath("golden.pfs")), "golden.pfs");

    /// <summary>
    /// file, mode; session 1 (Conf-Receiver: the client sends): client Sender Port, server Port, SID;
    /// session 2 (Conf-Sender: the server sends): client Receiver Port, server Port, SID (the client's).
    /// Values from tools/twamp_decode.py (shared/PROTOCOL-OWAMP.md).
    /// </summary>
    public static TheoryData<string, TwampModes, int, int, string, int, int, string> Captures => new()
    {
        { "owamp_O.pcapng", TwampModes.Unauthenticated, 9370, 9070, "7f000001eead95870be27179a98542ec", 9648, 8842, "7f000001eead95870c471b47cc3a9d89" },
        { "owamp_A.pcapng", TwampModes.Authenticated, 9773, 9171, "7f000001eead9595b3d2418072b2e2ee", 9779, 9636, "7f000001eead9595b424d4cb24743372" },
        { "owamp_E.pcapng", TwampModes.Encrypted, 9050, 8918, "7f000001eead95a4724d6e47f838d6cb", 8990, 8827, "7f000001eead95a472ab9b2341831896" },
    };

    /// <summary>Reads one direction of a control stream message by message, decrypting and checking HMACs as it goes.</summary>
    sealed class StreamReader(byte[] stream, ControlCipher cipher)
    {
        int _at;
        public readonly List<bool> Hmacs = [];
        public int Position => _at;
        public bool AtEnd => _at == stream.Length;

        public byte[] Blocks(long length)
        {
            var b = stream.AsSpan(_at, (int)length).ToArray();
            _at += (int)length;
            if (b.Length == 0) return b;
            cipher.Decrypt(b);
            cipher.Authenticate(b);
            return b;
        }

        public void Hmac()
        {
            var h = stream.AsSpan(_at, 16).ToArray();
            _at += 16;
            cipher.Decrypt(h);
            Hmacs.Add(cipher.VerifyHmac(h));
        }
    }

    sealed class Exchange
    {
        public required TwampCapture Capture { get; init; }
        public required ServerGreeting Greeting { get; init; }
        public required SetupResponse Setup { get; init; }
        public byte[]? K { get; init; }
        public SessionKeys? Keys { get; init; }
        public required ServerStart Start { get; init; }
        public required RequestSession[] Requests { get; init; }
        public required AcceptSession[] Accepts { get; init; }
        public required AcceptCode StartAck { get; init; }
        public required StopSessions ClientStop { get; init; }
        public required StopSessions ServerStop { get; init; }
        public required FetchSession Fetch { get; init; }
        public required FetchAck FetchAck { get; init; }
        public required SessionData Data { get; init; }
        public required List<bool> ClientHmacs { get; init; }
        public required List<bool> ServerHmacs { get; init; }
    }

    static Exchange Decode(string file, Action<byte[]>? tamperServerStream = null)
    {
        var cap = TwampCapture.Load(file, controlPort: 861);
        byte[] s2c = cap.ServerToClient.ToArray(), c2s = cap.ClientToServer;
        tamperServerStream?.Invoke(s2c);
        Assert.Equal((596, 3024), (c2s.Length, s2c.Length));

        var greeting = ServerGreeting.Parse(s2c);
        var setup = SetupResponse.Parse(c2s);
        byte[]? k = null;
        SessionKeys? keys = null;
        if (setup.Mode.HasSecureControl())
        {
            Assert.True(Secrets.TryGetPassphrase(setup.KeyId, out var passphrase));
            k = SharedSecret.DeriveKey(passphrase, greeting.Salt, greeting.Count);
            keys = Token.Open(k, setup.Token, greeting.Challenge);
            Assert.NotNull(keys);
        }
        var clearStart = ServerStart.Parse(s2c.AsSpan(ServerGreeting.Size));
        var fromServer = keys is null ? ControlCipher.None() : ControlCipher.Create(keys, clearStart.ServerIv);
        var fromClient = keys is null ? ControlCipher.None() : ControlCipher.Create(keys, setup.ClientIv);
        var server = new StreamReader(s2c[(ServerGreeting.Size + ServerStart.ClearPrefix)..], fromServer);
        var client = new StreamReader(c2s[SetupResponse.Size..], fromClient);

        var tail = server.Blocks(16);
        var start = ServerStart.Parse([.. s2c.AsSpan(ServerGreeting.Size, ServerStart.ClearPrefix), .. tail]);

        var requests = new RequestSession[2];
        var accepts = new AcceptSession[2];
        for (int i = 0; i < 2; i++)
        {
            var preamble = RequestSession.ParsePreamble(client.Blocks(RequestSession.PreambleBodySize));
            client.Hmac();
            var slots = RequestSession.ReadSlots(client.Blocks(preamble.NumberOfSlots * ScheduleSlot.Size), (int)preamble.NumberOfSlots);
            client.Hmac();
            requests[i] = preamble with { Slots = slots };
            accepts[i] = AcceptSession.Parse(server.Blocks(AcceptSession.BodySize));
            server.Hmac();
        }
        Assert.Equal((byte)OwampCommand.StartSessions, client.Blocks(16)[0]);
        client.Hmac();
        var startAck = ShortControlMessage.ParseStartAck(server.Blocks(16));
        server.Hmac();

        var clientStop = ReadStop(client);
        var serverStop = ReadStop(server);

        var fetch = FetchSession.Parse(client.Blocks(FetchSession.BodySize));
        client.Hmac();
        var fetchAck = FetchAck.Parse(server.Blocks(FetchAck.BodySize));
        server.Hmac();
        var reproduced = RequestSession.ParsePreamble(server.Blocks(RequestSession.PreambleBodySize));
        server.Hmac();
        var reproducedSlots = RequestSession.ReadSlots(server.Blocks(reproduced.NumberOfSlots * ScheduleSlot.Size), (int)reproduced.NumberOfSlots);
        server.Hmac();
        var skipBytes = server.Blocks(SkipRange.PaddedLength(fetchAck.SkipRanges));
        server.Hmac();
        var recordBytes = server.Blocks(PacketRecord.PaddedLength(fetchAck.Records));
        server.Hmac();
        Assert.True(client.AtEnd, "client stream fully consumed");
        Assert.True(server.AtEnd, "server stream fully consumed");
        var skips = Enumerable.Range(0, (int)fetchAck.SkipRanges).Select(i => SkipRange.Read(skipBytes.AsSpan(i * SkipRange.Size))).ToArray();
        var records = Enumerable.Range(0, (int)fetchAck.Records).Select(i => PacketRecord.Read(recordBytes.AsSpan(i * PacketRecord.Size))).ToArray();
        Assert.All(recordBytes[(records.Length * PacketRecord.Size)..], b => Assert.Equal(0, b));

        return new Exchange
        {
            Capture = cap, Greeting = greeting, Setup = setup, K = k, Keys = keys, Start = start,
            Requests = requests, Accepts = accepts, StartAck = startAck, ClientStop = clientStop, ServerStop = serverStop,
            Fetch = fetch, FetchAck = fetchAck, Data = new SessionData(reproduced with { Slots = reproducedSlots }, skips, records),
            ClientHmacs = client.Hmacs, ServerHmacs = server.Hmacs,
        };
    }

    static StopSessions ReadStop(StreamReader r)
    {
        var header = r.Blocks(StopSessions.HeaderSize);
        var (accept, count) = StopSessions.ParseHeader(header);
        var list = new List<StopSessionRecord>();
        for (uint i = 0; i < count; i++)
        {
            var first = r.Blocks(StopSessionRecord.MinimumSize);
            long size = StopSessionRecord.SizeFor(StopSessionRecord.ReadSkipCount(first));
            list.Add(StopSessionRecord.Parse([.. first, .. r.Blocks(size - StopSessionRecord.MinimumSize)]));
        }
        r.Hmac();
        return new StopSessions(accept, list);
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void ControlExchangeDecodesAndEveryHmacVerifies(string file, TwampModes mode, int sendPort, int receivePort, string receiveSid, int clientReceivePort, int sendFromPort, string sendSid)
    {
        var x = Decode(file);
        Assert.Equal(TwampModes.Unauthenticated | TwampModes.Authenticated | TwampModes.Encrypted, x.Greeting.Modes);
        Assert.Equal(mode, x.Setup.Mode);
        Assert.Equal(AcceptCode.Ok, x.Start.Accept);
        // Client: 2 × (preamble, slots), Start-Sessions, Stop-Sessions, Fetch-Session. Server: Accept ×2,
        // Start-Ack, Stop-Sessions, Fetch-Ack and the four parts of the session data.
        Assert.Equal(7, x.ClientHmacs.Count);
        Assert.Equal(9, x.ServerHmacs.Count);
        Assert.All(x.ClientHmacs, Assert.True);
        Assert.All(x.ServerHmacs, Assert.True);

        // Session 1: the server receives (owping's "to" direction).
        var r = x.Requests[0];
        Assert.Null(r.Validate());
        Assert.Equal((0, 1), (r.ConfSender, r.ConfReceiver));
        Assert.True(r.ServerReceives);
        Assert.Equal(((ushort)sendPort, (ushort)0), (r.SenderPort, r.ReceiverPort));
        Assert.Equal((IPAddress.Loopback, IPAddress.Loopback), (r.SenderAddress, r.ReceiverAddress));
        Assert.Equal(new byte[16], r.Sid);
        Assert.Equal((100u, 0u, 0u), (r.Packets, r.PaddingLength, r.TypeP.Value));
        Assert.Equal([ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(10))], r.Slots);
        Assert.InRange(r.Timeout.IntervalNanoseconds, 2_000_000_000, 2_003_000_000);
        Assert.Equal((AcceptCode.Ok, (ushort)receivePort, receiveSid), (x.Accepts[0].Accept, x.Accepts[0].Port, H(x.Accepts[0].Sid)));

        // Session 2: the server sends; the client chose the SID, the server echoes it.
        var s = x.Requests[1];
        Assert.Null(s.Validate());
        Assert.Equal((1, 0), (s.ConfSender, s.ConfReceiver));
        Assert.Equal(((ushort)0, (ushort)clientReceivePort), (s.SenderPort, s.ReceiverPort));
        Assert.Equal(sendSid, H(s.Sid));
        Assert.Equal(r.StartTime, s.StartTime);
        Assert.Equal((AcceptCode.Ok, (ushort)sendFromPort, sendSid), (x.Accepts[1].Accept, x.Accepts[1].Port, H(x.Accepts[1].Sid)));

        Assert.Equal(AcceptCode.Ok, x.StartAck);
        // Each side lists its own send session, complete: Next Seqno = Number of Packets, no skips.
        Assert.Equal(AcceptCode.Ok, x.ClientStop.Accept);
        Assert.Equal(receiveSid, H(Assert.Single(x.ClientStop.Sessions).Sid));
        Assert.Equal((100u, 0), (x.ClientStop.Sessions[0].NextSeqno, x.ClientStop.Sessions[0].SkipRanges.Count));
        Assert.Equal(AcceptCode.Ok, x.ServerStop.Accept);
        Assert.Equal(sendSid, H(Assert.Single(x.ServerStop.Sessions).Sid));
        Assert.Equal((100u, 0), (x.ServerStop.Sessions[0].NextSeqno, x.ServerStop.Sessions[0].SkipRanges.Count));

        Assert.True(x.Fetch.IsComplete);
        Assert.Equal(receiveSid, H(x.Fetch.Sid));
        Assert.Equal(new FetchAck(AcceptCode.Ok, true, 100, 0, 100), x.FetchAck);
        // The reproduction carries the ports actually used (RFC 4656 §3.9) and the SID the server chose;
        // otherwise the request as sent.
        Assert.Equal(Wire(r with { ReceiverPort = (ushort)receivePort, Sid = x.Accepts[0].Sid }), Wire(x.Data.Request));
        Assert.Empty(x.Data.SkipRanges);
        Assert.Equal(100, x.Data.Records.Count);
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void FetchedRecordsMatchTheTestPacketsOnTheWire(string file, TwampModes mode, int sendPort, int receivePort, string receiveSid, int clientReceivePort, int sendFromPort, string sendSid)
    {
        _ = (clientReceivePort, sendFromPort, sendSid);
        var x = Decode(file);
        var layout = TestPacketLayout.For(mode);
        using var crypto = mode == TwampModes.Unauthenticated ? null : new TestPacketCrypto(x.Keys!, B(receiveSid), mode.TestSecurity());
        var sent = x.Capture.TestPackets.Where(p => p.SourcePort == sendPort && p.DestinationPort == receivePort).ToList();
        Assert.Equal(100, sent.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            byte[] payload = sent[i].Payload.ToArray();
            if (crypto is not null) Assert.True(crypto.UnprotectSender(payload), $"packet {i} HMAC");
            var packet = new SenderPacket(payload, layout);
            var record = x.Data.Records[i];
            Assert.False(record.IsLost);
            Assert.Equal(packet.SequenceNumber, record.SequenceNumber);
            Assert.Equal(packet.Timestamp, record.SendTimestamp);
            Assert.Equal(packet.ErrorEstimate, record.SendError);
            Assert.Equal(sent[i].Ttl, record.Ttl);
            Assert.True(record.ReceiveTimestamp.Value >= record.SendTimestamp.Value);
            Assert.True(record.ReceiveError.IsValid);
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void OurEncodersAndSealingReproduceBothControlStreams(string file, TwampModes mode, int sendPort, int receivePort, string receiveSid, int clientReceivePort, int sendFromPort, string sendSid)
    {
        _ = (mode, sendPort, receivePort, receiveSid, clientReceivePort, sendFromPort, sendSid);
        var x = Decode(file);

        var s2c = new List<byte>();
        var greeting = new byte[ServerGreeting.Size];
        x.Greeting.Write(greeting);
        var start = new byte[ServerStart.Size];
        x.Start.Write(start);
        using (var tx = x.Keys is null ? ControlCipher.None() : ControlCipher.Create(x.Keys, x.Start.ServerIv))
        {
            var tail = start.AsSpan(ServerStart.ClearPrefix);
            tx.Authenticate(tail);
            tx.Encrypt(tail);
            s2c.AddRange([.. greeting, .. start]);
            foreach (var a in x.Accepts) s2c.AddRange(Sealed(tx, AcceptSession.Size, a.Write));
            s2c.AddRange(Sealed(tx, ShortControlMessage.Size, d => ShortControlMessage.WriteStartAck(d, x.StartAck)));
            s2c.AddRange(Sealed(tx, x.ServerStop.Length, x.ServerStop.Write));
            s2c.AddRange(Sealed(tx, FetchAck.Size, x.FetchAck.Write));
            var data = new byte[x.Data.Length];
            x.Data.Write(data);
            x.Data.Seal(tx, data);
            s2c.AddRange(data);
        }
        Assert.Equal(H(x.Capture.ServerToClient), H(s2c.ToArray()));

        var c2s = new List<byte>();
        var setup = x.Keys is null ? SetupResponse.Unauthenticated(x.Setup.Mode)
            : new SetupResponse(x.Setup.Mode, x.Setup.KeyId, Token.Create(x.K!, x.Greeting.Challenge, x.Keys), x.Setup.ClientIv);
        var setupBytes = new byte[SetupResponse.Size];
        setup.Write(setupBytes);
        c2s.AddRange(setupBytes);
        using (var tx = x.Keys is null ? ControlCipher.None() : ControlCipher.Create(x.Keys, x.Setup.ClientIv))
        {
            foreach (var r in x.Requests)
            {
                var bytes = new byte[r.Length];
                r.Write(bytes);
                RequestSession.Seal(tx, bytes);
                c2s.AddRange(bytes);
            }
            c2s.AddRange(Sealed(tx, ShortControlMessage.Size, ShortControlMessage.WriteStartSessions));
            c2s.AddRange(Sealed(tx, x.ClientStop.Length, x.ClientStop.Write));
            c2s.AddRange(Sealed(tx, FetchSession.Size, x.Fetch.Write));
        }
        Assert.Equal(H(x.Capture.ClientToServer), H(c2s.ToArray()));
    }

    delegate void Writer(Span<byte> destination);

    static byte[] Sealed(ControlCipher tx, int size, Writer write)
    {
        var b = new byte[size];
        write(b);
        tx.SealWithHmac(b);
        return b;
    }

    [Fact]
    public void OwampAIntermediateValuesMatchTheFactSheet()
    {
        // PROTOCOL-OWAMP.md §7.
        var x = Decode("owamp_A.pcapng");
        Assert.Equal("090a1b8281b311bb02a7c5b3eaa4a664", H(x.Greeting.Salt));
        Assert.Equal(2048u, x.Greeting.Count);
        Assert.Equal("6cbafdc40d5e13cb9bd7f4b71e677398", H(x.Greeting.Challenge));
        Assert.Equal("fdaecade024e8e92282e49bf03d7af41", H(x.K));
        Assert.Equal("2b9509703bede3a3307fd8c0f8ee8f83", H(x.Keys!.AesKey));
        Assert.Equal("955c221aae22593a191842b8d2e62c2828a31eabf0233a3f4246c28331488b9f", H(x.Keys.HmacKey));

        var preamble = new byte[RequestSession.PreambleBodySize];
        x.Requests[0].WritePreamble(preamble);
        Assert.Equal("010400010000000100000064262d00007f0000010000000000000000000000007f000001000000000000000000000000" +
                     "0000000000000000000000000000000000000000eead9596aa3b256f000000020089d27c000000000000000000000000", H(preamble));
        Assert.Equal("a0cd48436f7d008583c279ada64af9ac", Hmac(x.Keys, preamble));
        var slots = new byte[ScheduleSlot.Size];
        x.Requests[0].Slots[0].Write(slots);
        Assert.Equal("a39d187173f2192279b7a0ab4ce10379", Hmac(x.Keys, slots));
        Assert.Equal("c1254e7c936d2da16a531c73ec9b9bd0", Hmac(x.Keys, []));
    }

    static string Hmac(SessionKeys keys, byte[] data)
    {
        using var c = ControlCipher.Create(keys, new byte[16]);
        c.Authenticate(data);
        var h = new byte[16];
        c.WriteHmac(h);
        return H(h);
    }

    [Theory]
    [InlineData("owamp_A.pcapng")]
    [InlineData("owamp_E.pcapng")]
    public void FlippedBitInAFetchedRecordFailsTheRecordHmacOnly(string file)
    {
        // Octet 600 of the server stream lies in the packet records (496..3007): the records' HMAC, the
        // 9th server HMAC, fails; every earlier one still verifies.
        var x = Decode(file, s2c => s2c[600] ^= 0x04);
        Assert.All(x.ServerHmacs.Take(8), Assert.True);
        Assert.False(x.ServerHmacs[8]);
    }

    static string Wire(RequestSession r)
    {
        var b = new byte[r.Length];
        r.Write(b);
        return H(b);
    }
}
