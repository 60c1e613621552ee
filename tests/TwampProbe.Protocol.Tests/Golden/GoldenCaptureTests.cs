using System.Net;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Test;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Golden;

/// <summary>
/// The perfSONAR twping/twampd captures decoded with the library's own code, exactly as a server and a
/// client would: key derivation, Token, both CBC streams with their running HMACs, every codec, test
/// packet crypto; and the reverse: our encoders and sealing reproduce the captured bytes.
/// </summary>
public class GoldenCaptureTests
{
    // Control stream layout (PROTOCOL.md §2).
    const int GreetingAt = 0, ServerStartAt = 64, AcceptAt = 112, StartAckAt = 160, ServerStreamLength = 192;
    const int SetupAt = 0, RequestAt = 164, StartSessionsAt = 276, StopAt = 308, ClientStreamLength = 340;

    /// <summary>Server-Start's Start-Time: the start of the twampd instance, the same in all four captures.</summary>
    const ulong ServerStartTime = 0xeead94a541281776;

    static readonly KeyFile Secrets = KeyFile.Parse(File.ReadAllText(TwampCapture.FixturePath("golden.pfs")), "golden.pfs");

    /// <summary>file, mode, twping's Sender Port (also its requested Receiver Port), Accept-Session Port, SID, Padding Length.</summary>
    public static TheoryData<string, TwampModes, int, int, string, int> Captures => new()
    {
        { "twamp_O.pcapng", TwampModes.Unauthenticated, 9599, 19802, "7f000001eead953afe1eb420191836de", 27 },
        { "twamp_A.pcapng", TwampModes.Authenticated, 8797, 19836, "7f000001eead9547bea71583444ed3a0", 64 },
        { "twamp_E.pcapng", TwampModes.Encrypted, 9230, 19724, "7f000001eead95547c96aad105399d71", 64 },
        { "twamp_M.pcapng", TwampModes.Mixed, 9126, 19626, "7f000001eead956134ea7ce015793630", 27 },
    };

    public static TheoryData<string> SecureCaptures => new() { "twamp_A.pcapng", "twamp_E.pcapng", "twamp_M.pcapng" };

    /// <summary>Everything decoded from one capture's control connection.</summary>
    sealed class Exchange
    {
        public required TwampCapture Capture { get; init; }
        public required ServerGreeting Greeting { get; init; }
        public required SetupResponse Setup { get; init; }
        public byte[]? K { get; init; }
        public SessionKeys? Keys { get; init; }
        public required ServerStart Start { get; init; }
        /// <summary>Plaintexts of the messages after Set-Up-Response (HMAC fields decrypted too).</summary>
        public required byte[] ServerStartTail, AcceptSession, StartAck, Request, StartSessions, Stop;
        public required bool AcceptHmacOk, StartAckHmacOk, RequestHmacOk, StartSessionsHmacOk, StopHmacOk;
    }

    static Exchange Decode(string file, Action<byte[]>? tamperClientStream = null)
    {
        var cap = TwampCapture.Load(file);
        byte[] s2c = cap.ServerToClient, c2s = cap.ClientToServer.ToArray();
        tamperClientStream?.Invoke(c2s);
        Assert.Equal(ServerStreamLength, s2c.Length);
        Assert.Equal(ClientStreamLength, c2s.Length);

        var greeting = ServerGreeting.Parse(s2c.AsSpan(GreetingAt, ServerGreeting.Size));
        var setup = SetupResponse.Parse(c2s.AsSpan(SetupAt, SetupResponse.Size));

        byte[]? k = null;
        SessionKeys? keys = null;
        if (setup.Mode.HasSecureControl())
        {
            Assert.Null(SharedSecret.CheckCount(greeting.Count));
            Assert.True(Secrets.TryGetPassphrase(setup.KeyId, out var passphrase), $"no secret for KeyID '{setup.KeyId}'");
            k = SharedSecret.DeriveKey(passphrase, greeting.Salt, greeting.Count);
            keys = Token.Open(k, setup.Token, greeting.Challenge);
            Assert.NotNull(keys);
        }

        var clearStart = ServerStart.Parse(s2c.AsSpan(ServerStartAt, ServerStart.Size));
        using var fromServer = keys is null ? ControlCipher.None() : ControlCipher.Create(keys, clearStart.ServerIv);
        using var fromClient = keys is null ? ControlCipher.None() : ControlCipher.Create(keys, setup.ClientIv);

        // Server → client: Server-Start 32-47, then Accept-Session (its HMAC covers both), then Start-Ack.
        byte[] tail = s2c[(ServerStartAt + ServerStart.ClearPrefix)..(ServerStartAt + ServerStart.Size)];
        fromServer.Decrypt(tail);
        fromServer.Authenticate(tail);
        var start = ServerStart.Parse([.. s2c.AsSpan(ServerStartAt, ServerStart.ClearPrefix), .. tail]);

        byte[] accept = s2c[AcceptAt..(AcceptAt + AcceptSession.Size)];
        fromServer.Decrypt(accept);
        fromServer.Authenticate(accept.AsSpan(0, AcceptSession.BodySize));
        bool acceptOk = fromServer.VerifyHmac(accept.AsSpan(AcceptSession.BodySize));

        byte[] ack = s2c[StartAckAt..(StartAckAt + ShortControlMessage.Size)];
        bool ackOk = Open(fromServer, ack);

        // Client → server: Request-TW-Session, Start-Sessions, Stop-Sessions.
        byte[] request = c2s[RequestAt..(RequestAt + RequestTwSession.Size)];
        fromClient.Decrypt(request);
        fromClient.Authenticate(request.AsSpan(0, RequestTwSession.BodySize));
        bool requestOk = fromClient.VerifyHmac(request.AsSpan(RequestTwSession.BodySize));

        byte[] startSessions = c2s[StartSessionsAt..(StartSessionsAt + ShortControlMessage.Size)];
        bool startSessionsOk = Open(fromClient, startSessions);
        byte[] stop = c2s[StopAt..(StopAt + ShortControlMessage.Size)];
        bool stopOk = Open(fromClient, stop);

        return new Exchange
        {
            Capture = cap, Greeting = greeting, Setup = setup, K = k, Keys = keys, Start = start,
            ServerStartTail = tail, AcceptSession = accept, StartAck = ack, Request = request, StartSessions = startSessions, Stop = stop,
            AcceptHmacOk = acceptOk, StartAckHmacOk = ackOk, RequestHmacOk = requestOk, StartSessionsHmacOk = startSessionsOk, StopHmacOk = stopOk,
        };
    }

    static bool Open(ControlCipher cipher, byte[] message)
    {
        cipher.Decrypt(message);
        cipher.Authenticate(message.AsSpan(0, ShortControlMessage.BodySize));
        return cipher.VerifyHmac(message.AsSpan(ShortControlMessage.BodySize));
    }

    // ---------------------------------------------------------------- control

    [Theory]
    [MemberData(nameof(Captures))]
    public void ControlExchangeDecodesAndEveryHmacVerifies(string file, TwampModes mode, int senderPort, int port, string sid, int padding)
    {
        var x = Decode(file);

        Assert.Equal(TwampModes.SecurityModes, x.Greeting.Modes);
        Assert.Equal(2048u, x.Greeting.Count);

        Assert.Equal(mode, x.Setup.Mode);
        Assert.Equal(mode == TwampModes.Unauthenticated ? "" : "testuser", x.Setup.KeyId);
        if (mode == TwampModes.Unauthenticated) Assert.All(x.Capture.ClientToServer[4..164], b => Assert.Equal(0, b));

        Assert.Equal(AcceptCode.Ok, x.Start.Accept);
        Assert.Equal(ServerStartTime, x.Start.StartTime.Value);
        Assert.All(x.ServerStartTail[8..], b => Assert.Equal(0, b));

        Assert.True(x.AcceptHmacOk, "Accept-Session HMAC (covers Server-Start 32-47 + Accept-Session 0-31)");
        Assert.True(x.StartAckHmacOk, "Start-Ack HMAC");
        Assert.True(x.RequestHmacOk, "Request-TW-Session HMAC");
        Assert.True(x.StartSessionsHmacOk, "Start-Sessions HMAC");
        Assert.True(x.StopHmacOk, "Stop-Sessions HMAC");
        if (mode == TwampModes.Unauthenticated)
            foreach (var hmac in new[] { x.AcceptSession[32..], x.StartAck[16..], x.Request[96..], x.StartSessions[16..], x.Stop[16..] })
                Assert.All(hmac, b => Assert.Equal(0, b));

        var request = RequestTwSession.Parse(x.Request);
        Assert.Null(request.Validate());
        Assert.Equal(4, request.IpVersion);
        Assert.Equal(((ushort)senderPort, (ushort)senderPort), (request.SenderPort, request.ReceiverPort));
        Assert.Equal(IPAddress.Loopback, request.SenderAddress);
        Assert.Equal(IPAddress.Loopback, request.ReceiverAddress);
        Assert.Equal((uint)padding, request.PaddingLength);
        Assert.Equal(0u, request.TypeP.Value);
        Assert.InRange(request.Timeout.IntervalNanoseconds, 2_000_000_000, 2_100_000_000);
        Assert.True(request.StartTime.Value > x.Start.StartTime.Value);

        var accept = AcceptSession.Parse(x.AcceptSession);
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        Assert.Equal((ushort)port, accept.Port);
        Assert.Equal(sid, H(accept.Sid));

        Assert.Equal(AcceptCode.Ok, ShortControlMessage.ParseStartAck(x.StartAck));
        Assert.Equal("02000000000000000000000000000000", H(x.StartSessions.AsSpan(0, 16)));
        Assert.Equal((AcceptCode.Ok, 1u), ShortControlMessage.ParseStopSessions(x.Stop));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void OurEncodersAndSealingReproduceBothControlStreams(string file, TwampModes mode, int senderPort, int port, string sid, int padding)
    {
        _ = (mode, senderPort, port, sid, padding);
        var x = Decode(file);
        var request = RequestTwSession.Parse(x.Request);
        var accept = AcceptSession.Parse(x.AcceptSession);
        var (stopAccept, sessions) = ShortControlMessage.ParseStopSessions(x.Stop);

        // Server side.
        byte[] s2c = new byte[ServerStreamLength];
        x.Greeting.Write(s2c.AsSpan(GreetingAt));
        x.Start.Write(s2c.AsSpan(ServerStartAt));
        using (var tx = x.Keys is null ? ControlCipher.None() : ControlCipher.Create(x.Keys, x.Start.ServerIv))
        {
            var tail = s2c.AsSpan(ServerStartAt + ServerStart.ClearPrefix, 16);
            tx.Authenticate(tail);
            tx.Encrypt(tail);
            accept.Write(s2c.AsSpan(AcceptAt));
            tx.SealWithHmac(s2c.AsSpan(AcceptAt, AcceptSession.Size));
            ShortControlMessage.WriteStartAck(s2c.AsSpan(StartAckAt), ShortControlMessage.ParseStartAck(x.StartAck));
            tx.SealWithHmac(s2c.AsSpan(StartAckAt, ShortControlMessage.Size));
        }
        Assert.Equal(H(x.Capture.ServerToClient), H(s2c));

        // Client side; the Token is deterministic given K, the Challenge and the session keys.
        byte[] c2s = new byte[ClientStreamLength];
        var setup = x.Keys is null ? SetupResponse.Unauthenticated(x.Setup.Mode)
            : new SetupResponse(x.Setup.Mode, x.Setup.KeyId, Token.Create(x.K!, x.Greeting.Challenge, x.Keys), x.Setup.ClientIv);
        setup.Write(c2s.AsSpan(SetupAt));
        using (var tx = x.Keys is null ? ControlCipher.None() : ControlCipher.Create(x.Keys, x.Setup.ClientIv))
        {
            request.Write(c2s.AsSpan(RequestAt));
            tx.SealWithHmac(c2s.AsSpan(RequestAt, RequestTwSession.Size));
            ShortControlMessage.WriteStartSessions(c2s.AsSpan(StartSessionsAt));
            tx.SealWithHmac(c2s.AsSpan(StartSessionsAt, ShortControlMessage.Size));
            ShortControlMessage.WriteStopSessions(c2s.AsSpan(StopAt), stopAccept, sessions);
            tx.SealWithHmac(c2s.AsSpan(StopAt, ShortControlMessage.Size));
        }
        Assert.Equal(H(x.Capture.ClientToServer), H(c2s));
    }

    [Theory]
    [MemberData(nameof(SecureCaptures))]
    public void FlippedBitInRequestHmacCiphertextFailsVerification(string file)
    {
        var x = Decode(file, c2s => c2s[RequestAt + RequestTwSession.BodySize + 5] ^= 0x10);
        Assert.False(x.RequestHmacOk);
    }

    [Theory]
    [MemberData(nameof(SecureCaptures))]
    public void FlippedBitInRequestBodyFailsVerification(string file)
    {
        var x = Decode(file, c2s => c2s[RequestAt + 40] ^= 0x01);
        Assert.False(x.RequestHmacOk);
    }

    [Theory]
    [MemberData(nameof(SecureCaptures))]
    public void ServerHmacWithoutServerStartBlockFails(string file)
    {
        // PROTOCOL.md §12 #3: the first server HMAC must cover Server-Start 32-47.
        var x = Decode(file);
        using var rx = ControlCipher.Create(x.Keys!, x.Start.ServerIv);
        byte[] tail = x.Capture.ServerToClient[96..112], accept = x.Capture.ServerToClient[AcceptAt..(AcceptAt + 48)];
        rx.Decrypt(tail);
        rx.Decrypt(accept);
        rx.Authenticate(accept.AsSpan(0, 32));
        Assert.False(rx.VerifyHmac(accept.AsSpan(32)));
    }

    [Fact]
    public void WrongPassphraseDoesNotOpenTheCaptureToken()
    {
        var cap = TwampCapture.Load("twamp_A.pcapng");
        var greeting = ServerGreeting.Parse(cap.ServerToClient);
        var setup = SetupResponse.Parse(cap.ClientToServer);
        byte[] k = SharedSecret.DeriveKey("testsecret-twamp-2025"u8, greeting.Salt, greeting.Count);
        Assert.Null(Token.Open(k, setup.Token, greeting.Challenge));
    }

    [Fact]
    public void TwampAIntermediateValuesMatchTheFactSheet()
    {
        // PROTOCOL.md §13.
        var x = Decode("twamp_A.pcapng");
        byte[] c2s = x.Capture.ClientToServer, s2c = x.Capture.ServerToClient;
        Assert.Equal("793c4b8a692cec2a2a3b884a5a9bb65e", H(x.Greeting.Salt));
        Assert.Equal("af915712276a3077faa60f4dcdc6ee82", H(x.Greeting.Challenge));
        Assert.Equal("07de3337195076dcb580eb6b8ee3d257", H(x.K));
        Assert.Equal("fc81246a8896a90e51e2187d13ca3f73b82c031d8e3aaea52d9aa0bee56cc85510072b1e2f7b0339cb877b908350a72555d1835ad356e057f136e6fb049d75f8", H(x.Setup.Token));
        Assert.Equal("fc63576e5be122e91c9b05b17d6f614a", H(x.Keys!.AesKey));
        Assert.Equal("85aeec0618216b7f20eef056684d2d253a5ce1640463143069c42791e32d653f", H(x.Keys.HmacKey));
        Assert.Equal("bc884be1fea89d02bcfbd0534aa242e3", H(x.Setup.ClientIv));
        Assert.Equal("9e5e527d6c99ea76a19ff226ab68c44f", H(x.Start.ServerIv));

        Assert.Equal("e62bfa5bef638e7faa5eb919343d29e8", H(s2c.AsSpan(96, 16)));
        Assert.Equal("eead94a5412817760000000000000000", H(x.ServerStartTail));

        Assert.Equal("e896a3a4e7763a8e104489d1f5655d74", H(c2s.AsSpan(RequestAt, 16)));
        Assert.Equal(H(B("050400000000000000000000225d225d 7f000001000000000000000000000000 7f000001000000000000000000000000 00000000000000000000000000000000 00000040eead9548bf9b77c000000002 00581494000000000000000000000000")), H(x.Request.AsSpan(0, 96)));
        Assert.Equal("77003ce0326dd844082eddc15d9b272d", H(x.Request.AsSpan(96)));

        Assert.Equal("f422c0883a1531eb5ec261c03c20dccc", H(s2c.AsSpan(AcceptAt, 16)));
        Assert.Equal("00004d7c7f000001eead9547bea71583444ed3a0000000000000000000000000", H(x.AcceptSession.AsSpan(0, 32)));
        Assert.Equal("541508b6d3e824a19873202704aefad0", H(x.AcceptSession.AsSpan(32)));

        Assert.Equal("aa9d2873e7fb1aecbe577db7f0acb140", H(c2s.AsSpan(StartSessionsAt - 16, 16)));
        Assert.Equal("71253ce796cb2d80a6888265616652bb", H(c2s.AsSpan(StartSessionsAt, 16)));

        var (aesKey, hmacKey) = TestPacketCrypto.DeriveKeys(x.Keys, B("7f000001eead9547bea71583444ed3a0"));
        Assert.Equal("5e7a40b21f66df9b713979b92cd92df7", H(aesKey));
        Assert.Equal("fbaaf094fe4fdc2c113cbea08634d0ad86d4d24fd6aa20e6a9ad3abbcf98200d", H(hmacKey));

        byte[] sender0 = x.Capture.SenderPackets[0].Payload, reflector0 = x.Capture.ReflectorPackets[0].Payload;
        Assert.Equal(14, x.Capture.SenderPackets[0].Frame);
        Assert.Equal("22968daa7966522ff729bcdda508b6c1", H(sender0.AsSpan(0, 16)));
        Assert.Equal("42aff4bbf4420b8429f3c0d7c9bfb58c", H(sender0.AsSpan(32, 16)));
        Assert.Equal("22968daa7966522ff729bcdda508b6c1", H(reflector0.AsSpan(0, 16)));
        Assert.Equal("42aff4bbf4420b8429f3c0d7c9bfb58c", H(reflector0.AsSpan(96, 16)));
        using var crypto = new TestPacketCrypto(x.Keys, B("7f000001eead9547bea71583444ed3a0"), TestSecurity.Authenticated);
        byte[] plain = sender0.ToArray();
        Assert.True(crypto.UnprotectSender(plain));
        Assert.Equal(new byte[16], plain[..16]);
    }

    [Fact]
    public void TwampEIntermediateValuesMatchTheFactSheet()
    {
        var x = Decode("twamp_E.pcapng");
        byte[] sid = AcceptSession.Parse(x.AcceptSession).Sid;
        Assert.Equal("7f000001eead95547c96aad105399d71", H(sid));
        var (aesKey, hmacKey) = TestPacketCrypto.DeriveKeys(x.Keys!, sid);
        Assert.Equal("ada1f10a562d8e002283454c14c2f4dc", H(aesKey));
        Assert.Equal("18371f82eea4d3953dea0ab1386a52adc03c76f9120337ea1fb8c0c424478e97", H(hmacKey));

        using var crypto = new TestPacketCrypto(x.Keys!, sid, TestSecurity.Encrypted);
        byte[] sender0 = x.Capture.SenderPackets[0].Payload.ToArray(), reflector0 = x.Capture.ReflectorPackets[0].Payload.ToArray();
        Assert.True(crypto.UnprotectSender(sender0));
        Assert.Equal("00000000000000000000000000000000eead9555b4e757920001000000000000", H(sender0.AsSpan(0, 32)));
        Assert.Equal("0d7fbab1acfbdd916cf38229269fc144", H(sender0.AsSpan(32, 16)));
        Assert.True(crypto.UnprotectReflector(reflector0));
        Assert.Equal("d9c5265e539cba392a7e70d873fef542", H(reflector0.AsSpan(96, 16)));
    }

    // ---------------------------------------------------------------- test packets

    [Theory]
    [MemberData(nameof(Captures))]
    public void TestPacketsDecodeAndReflectorCopiesTheSenderFields(string file, TwampModes mode, int senderPort, int port, string sid, int padding)
    {
        var x = Decode(file);
        var layout = TestPacketLayout.For(mode);
        Assert.Equal(padding, layout.SymmetricPadding);
        using var crypto = layout.Security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(x.Keys!, B(sid), layout.Security);

        var senders = x.Capture.SenderPackets;
        var reflectors = x.Capture.ReflectorPackets;
        Assert.Equal(5, senders.Count);
        Assert.Equal(5, reflectors.Count);
        for (int i = 0; i < 5; i++)
        {
            var sp = senders[i];
            Assert.Equal((senderPort, port), (sp.SourcePort, sp.DestinationPort));
            Assert.Equal(layout.SenderHeader + padding, sp.Payload.Length);
            Assert.Equal((255, 0), (sp.Ttl, sp.TrafficClass));
            byte[] s = sp.Payload.ToArray();
            if (crypto is not null) Assert.True(crypto.UnprotectSender(s), $"sender #{i} HMAC");
            var sender = new SenderPacket(s, layout);
            Assert.Equal((uint)i, sender.SequenceNumber);
            Assert.True(sender.ErrorEstimate.IsValid);

            var rp = reflectors[i];
            Assert.Equal((port, senderPort), (rp.SourcePort, rp.DestinationPort));
            Assert.Equal(layout.ReflectorHeader, rp.Payload.Length);
            Assert.Equal((255, 0), (rp.Ttl, rp.TrafficClass));
            byte[] r = rp.Payload.ToArray();
            if (crypto is not null) Assert.True(crypto.UnprotectReflector(r), $"reflector #{i} HMAC");
            var reflector = new ReflectorPacket(r, layout);
            Assert.Equal((uint)i, reflector.SequenceNumber);
            Assert.Equal(sender.SequenceNumber, reflector.SenderSequenceNumber);
            Assert.Equal(sender.Timestamp, reflector.SenderTimestamp);
            Assert.Equal(sender.ErrorEstimate, reflector.SenderErrorEstimate);
            Assert.Equal(255, reflector.SenderTtl);
            Assert.True(reflector.ErrorEstimate.IsValid);
            Assert.True(sender.Timestamp.Value <= reflector.ReceiveTimestamp.Value, $"#{i}: T1 after T2");
            Assert.True(reflector.ReceiveTimestamp.Value <= reflector.Timestamp.Value, $"#{i}: T2 after T3");
        }
    }

    [Theory]
    [InlineData("twamp_A.pcapng", TestSecurity.Authenticated)]
    [InlineData("twamp_E.pcapng", TestSecurity.Encrypted)]
    public void ReprotectingDecryptedPacketsReproducesTheWireBytes(string file, TestSecurity security)
    {
        var x = Decode(file);
        byte[] sid = AcceptSession.Parse(x.AcceptSession).Sid;
        using var crypto = new TestPacketCrypto(x.Keys!, sid, security);
        foreach (var (packets, isSender) in new[] { (x.Capture.SenderPackets, true), (x.Capture.ReflectorPackets, false) })
            foreach (var p in packets)
            {
                byte[] b = p.Payload.ToArray();
                Assert.True(isSender ? crypto.UnprotectSender(b) : crypto.UnprotectReflector(b));
                Assert.NotEqual(H(p.Payload), H(b));
                if (isSender) crypto.ProtectSender(b); else crypto.ProtectReflector(b);
                Assert.Equal(H(p.Payload), H(b));
            }
    }

    [Theory]
    [InlineData("twamp_A.pcapng", TestSecurity.Authenticated)]
    [InlineData("twamp_E.pcapng", TestSecurity.Encrypted)]
    public void TamperedHmacFieldInTestPacketIsRejected(string file, TestSecurity security)
    {
        var x = Decode(file);
        using var crypto = new TestPacketCrypto(x.Keys!, AcceptSession.Parse(x.AcceptSession).Sid, security);
        var layout = TestPacketLayout.For(security);
        byte[] s = x.Capture.SenderPackets[2].Payload.ToArray();
        s[layout.SenderHmac + 7] ^= 0x01;
        Assert.False(crypto.UnprotectSender(s));
        byte[] r = x.Capture.ReflectorPackets[2].Payload.ToArray();
        r[layout.ReflectorHmac] ^= 0x80;
        Assert.False(crypto.UnprotectReflector(r));
    }

    [Fact]
    public void TestPacketsOfAnotherSessionDoNotVerify()
    {
        // twamp_A's packets under twamp_E's SID-derived keys (same HMAC check path, wrong keys).
        var a = Decode("twamp_A.pcapng");
        using var crypto = new TestPacketCrypto(a.Keys!, B("7f000001eead95547c96aad105399d71"), TestSecurity.Authenticated);
        Assert.False(crypto.UnprotectSender(a.Capture.SenderPackets[0].Payload.ToArray()));
    }

    [Fact]
    public void Dscp46TestPacketsCarryTosB8BothWaysAndDecode()
    {
        var cap = TwampCapture.Load("twamp_dscp46.pcapng");
        var layout = TestPacketLayout.Unauthenticated;
        Assert.Equal(5, cap.SenderPackets.Count);
        Assert.Equal(5, cap.ReflectorPackets.Count);
        for (int i = 0; i < 5; i++)
        {
            var sp = cap.SenderPackets[i];
            var rp = cap.ReflectorPackets[i];
            Assert.Equal(0xB8, sp.TrafficClass);
            Assert.Equal(0xB8, rp.TrafficClass);
            Assert.Equal(TypeP.FromDscp(46).Dscp, rp.Dscp);
            byte[] s = sp.Payload.ToArray(), r = rp.Payload.ToArray();
            var sender = new SenderPacket(s, layout);
            var reflector = new ReflectorPacket(r, layout);
            Assert.Equal((uint)i, sender.SequenceNumber);
            Assert.Equal(sender.SequenceNumber, reflector.SenderSequenceNumber);
            Assert.Equal(sender.Timestamp, reflector.SenderTimestamp);
            Assert.Equal(255, reflector.SenderTtl);
        }
    }
}
