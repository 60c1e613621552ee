using System.Buffers.Binary;
using System.Net;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Wire;

/// <summary>Codecs of the TWAMP-Control messages (PROTOCOL.md §3, §5).</summary>
public class ControlMessageTests
{
    static byte[] Seq(int start, int count) => Enumerable.Range(start, count).Select(i => (byte)i).ToArray();

    /// <summary>Sets every octet in the given MBZ ranges to 0xA5 in a copy.</summary>
    static byte[] WithMbzSet(byte[] canonical, params (int Offset, int Length)[] mbz)
    {
        byte[] dirty = canonical.ToArray();
        foreach (var (o, l) in mbz) dirty.AsSpan(o, l).Fill(0xA5);
        return dirty;
    }

    // ---------------- Server-Greeting ----------------

    static ServerGreeting Greeting() => new(TwampModes.SecurityModes, Seq(0x10, 16), Seq(0x20, 16), 2048);

    [Fact]
    public void ServerGreetingWritesFieldsAtTheirOffsets()
    {
        byte[] b = new byte[ServerGreeting.Size];
        Greeting().Write(b);
        Assert.Equal(new byte[12], b[..12]);
        Assert.Equal(0x0Fu, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(12)));
        Assert.Equal(Seq(0x10, 16), b[16..32]);
        Assert.Equal(Seq(0x20, 16), b[32..48]);
        Assert.Equal(2048u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(48)));
        Assert.Equal(new byte[12], b[52..]);
    }

    [Fact]
    public void ServerGreetingParseOfWriteIsIdentity()
    {
        var g = Greeting();
        byte[] b = new byte[ServerGreeting.Size];
        g.Write(b);
        var p = ServerGreeting.Parse(b);
        Assert.Equal((g.Modes, H(g.Challenge), H(g.Salt), g.Count), (p.Modes, H(p.Challenge), H(p.Salt), p.Count));
    }

    [Fact]
    public void ServerGreetingIgnoresNonZeroUnusedAndMbz()
    {
        byte[] canonical = new byte[ServerGreeting.Size];
        Greeting().Write(canonical);
        byte[] again = new byte[ServerGreeting.Size];
        ServerGreeting.Parse(WithMbzSet(canonical, (0, 12), (52, 12))).Write(again);
        Assert.Equal(H(canonical), H(again));
    }

    // ---------------- Set-Up-Response ----------------

    [Fact]
    public void SetupResponseRoundTripsWithKeyIdPaddedWithZeros()
    {
        var s = new SetupResponse(TwampModes.Encrypted, "testuser", Seq(0x40, 64), Seq(0x90, 16));
        byte[] b = new byte[SetupResponse.Size];
        s.Write(b);
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(b));
        Assert.Equal("testuser"u8.ToArray(), b[4..12]);
        Assert.Equal(new byte[72], b[12..84]);
        Assert.Equal(Seq(0x40, 64), b[84..148]);
        Assert.Equal(Seq(0x90, 16), b[148..164]);
        var p = SetupResponse.Parse(b);
        Assert.Equal((s.Mode, s.KeyId, H(s.Token), H(s.ClientIv)), (p.Mode, p.KeyId, H(p.Token), H(p.ClientIv)));
        byte[] again = new byte[SetupResponse.Size];
        p.Write(again);
        Assert.Equal(H(b), H(again));
    }

    [Fact]
    public void SetupResponseKeyIdOfExactly80OctetsHasNoTerminator()
    {
        string id = new('k', 80);
        byte[] b = new byte[SetupResponse.Size];
        new SetupResponse(TwampModes.Authenticated, id, new byte[64], new byte[16]).Write(b);
        Assert.Equal(id, SetupResponse.Parse(b).KeyId);
    }

    [Fact]
    public void SetupResponseKeyIdLongerThan80OctetsIsRefused() =>
        Assert.ThrowsAny<ArgumentException>(() =>
            new SetupResponse(TwampModes.Authenticated, new string('k', 81), new byte[64], new byte[16]).Write(new byte[SetupResponse.Size]));

    [Fact]
    public void SetupResponseInvalidUtf8KeyIdIsFlaggedNotThrown()
    {
        byte[] b = new byte[SetupResponse.Size];
        b[3] = 2;
        b[4] = 0xC3; // truncated two-octet sequence
        b[5] = 0x28;
        var r = SetupResponse.Parse(b);
        Assert.False(r.KeyIdIsUtf8);
        Assert.True(SetupResponse.Parse(new byte[SetupResponse.Size]).KeyIdIsUtf8);
    }

    [Fact]
    public void UnauthenticatedSetupResponseIsZerosAfterTheMode()
    {
        byte[] b = new byte[SetupResponse.Size];
        b.AsSpan().Fill(0xEE);
        SetupResponse.Unauthenticated(TwampModes.Unauthenticated).Write(b);
        Assert.Equal(new byte[] { 0, 0, 0, 1 }, b[..4]);
        Assert.All(b[4..], x => Assert.Equal(0, x));
    }

    // ---------------- Server-Start ----------------

    [Fact]
    public void ServerStartRoundTripsAndIgnoresMbz()
    {
        var s = new ServerStart(AcceptCode.Ok, Seq(0x60, 16), new NtpTimestamp(0xeead94a541281776));
        byte[] b = new byte[ServerStart.Size];
        s.Write(b);
        Assert.Equal(new byte[15], b[..15]);
        Assert.Equal(0, b[15]);
        Assert.Equal(Seq(0x60, 16), b[16..32]);
        Assert.Equal("eead94a5412817760000000000000000", H(b.AsSpan(32)));
        var p = ServerStart.Parse(WithMbzSet(b, (0, 15), (40, 8)));
        Assert.Equal((s.Accept, H(s.ServerIv), s.StartTime), (p.Accept, H(p.ServerIv), p.StartTime));
        byte[] again = new byte[ServerStart.Size];
        p.Write(again);
        Assert.Equal(H(b), H(again));
    }

    [Fact]
    public void ServerStartReservedAcceptReadsAsFailure()
    {
        byte[] b = new byte[ServerStart.Size];
        b[15] = 200;
        Assert.Equal(AcceptCode.Failure, ServerStart.Parse(b).Accept);
    }

    // ---------------- Request-TW-Session ----------------

    static RequestTwSession Request() => new()
    {
        IpVersion = 4,
        SenderPort = 0x225d,
        ReceiverPort = 0x225d,
        SenderAddress = IPAddress.Parse("127.0.0.1"),
        ReceiverAddress = IPAddress.Parse("192.0.2.7"),
        PaddingLength = 64,
        StartTime = new NtpTimestamp(0xeead9548bf9b77c0),
        Timeout = new NtpTimestamp(0x00000002_00581494),
        TypeP = TypeP.FromDscp(46),
    };

    static byte[] Bytes(RequestTwSession r)
    {
        byte[] b = new byte[RequestTwSession.BodySize];
        r.Write(b);
        return b;
    }

    [Fact]
    public void RequestTwSessionWritesTheCaptureLayout()
    {
        // PROTOCOL.md §13: the twamp_A Request-TW-Session HMAC input (Type-P there is 0).
        byte[] b = Bytes(Request() with { ReceiverAddress = IPAddress.Parse("127.0.0.1"), TypeP = default });
        Assert.Equal("050400000000000000000000225d225d 7f000001000000000000000000000000 7f000001000000000000000000000000 00000000000000000000000000000000 00000040eead9548bf9b77c000000002 00581494000000000000000000000000".Replace(" ", ""), H(b));
    }

    [Fact]
    public void RequestTwSessionParseOfWriteIsIdentity()
    {
        var r = Request();
        var p = RequestTwSession.Parse(Bytes(r));
        Assert.Equal(r.IpVersion, p.IpVersion);
        Assert.Equal((r.SenderPort, r.ReceiverPort, r.PaddingLength), (p.SenderPort, p.ReceiverPort, p.PaddingLength));
        Assert.Equal(r.SenderAddress, p.SenderAddress);
        Assert.Equal(r.ReceiverAddress, p.ReceiverAddress);
        Assert.Equal((r.StartTime, r.Timeout, r.TypeP), (p.StartTime, p.Timeout, p.TypeP));
        Assert.Equal(H(r.Sid), H(p.Sid));
        Assert.Null(p.Validate());
    }

    [Fact]
    public void RequestTwSessionIpv6RoundTrips()
    {
        var r = Request() with { IpVersion = 6, SenderAddress = IPAddress.Parse("2001:db8::1"), ReceiverAddress = IPAddress.Parse("2001:db8::ff:2") };
        byte[] b = Bytes(r);
        Assert.Equal(6, b[1]);
        Assert.Equal(IPAddress.Parse("2001:db8::1").GetAddressBytes(), b[16..32]);
        var p = RequestTwSession.Parse(b);
        Assert.Equal(r.SenderAddress, p.SenderAddress);
        Assert.Equal(r.ReceiverAddress, p.ReceiverAddress);
        Assert.Null(p.Validate());
    }

    [Theory]
    [InlineData(1, 1)]    // MBZ nibble above IPVN
    [InlineData(20, 12)]  // IPv4 Sender Address MBZ
    [InlineData(36, 12)]  // IPv4 Receiver Address MBZ
    [InlineData(88, 8)]   // MBZ after Type-P
    public void RequestTwSessionIgnoresNonZeroMbz(int offset, int length)
    {
        byte[] canonical = Bytes(Request());
        byte[] dirty = canonical.ToArray();
        for (int i = offset; i < offset + length; i++) dirty[i] |= 0xA0;
        Assert.Equal(H(canonical), H(Bytes(RequestTwSession.Parse(dirty))));
    }

    [Fact]
    public void ZeroAddressesParseAsNullAndAreAccepted()
    {
        var p = RequestTwSession.Parse(Bytes(Request() with { SenderAddress = null, ReceiverAddress = null }));
        Assert.Null(p.SenderAddress);
        Assert.Null(p.ReceiverAddress);
        Assert.Null(p.Validate());
    }

    [Fact]
    public void ZeroIpv4AddressWithNonZeroMbzParsesAsNull()
    {
        // IPv4: octets 16-19 are the address, 20-31 MBZ. A receiver ignores MBZ, so a zero address
        // followed by non-zero MBZ is still "use the control connection's address", not 0.0.0.0.
        byte[] b = Bytes(Request() with { SenderAddress = null });
        b[25] = 0x01;
        Assert.Null(RequestTwSession.Parse(b).SenderAddress);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(255)]
    public void OtherCommandNumberIsNotSupported(byte command)
    {
        byte[] b = Bytes(Request());
        b[0] = command;
        var e = Assert.Throws<ControlProtocolException>(() => RequestTwSession.Parse(b));
        Assert.Equal(AcceptCode.NotSupported, e.Accept);
        Assert.False(e.CloseConnection);
    }

    [Theory]
    [InlineData("ipvn5")]
    [InlineData("ipvn0")]
    [InlineData("confSender")]
    [InlineData("confReceiver")]
    [InlineData("slots")]
    [InlineData("packets")]
    [InlineData("sid")]
    [InlineData("phb")]
    [InlineData("typePLowBits")]
    [InlineData("typePTopBit")]
    [InlineData("ipv6SenderWithIpvn4")]
    [InlineData("ipv4ReceiverWithIpvn6")]
    public void ValidateRejectsUnsupportedRequest(string defect)
    {
        var r = Request();
        r = defect switch
        {
            "ipvn5" => r with { IpVersion = 5 },
            "ipvn0" => r with { IpVersion = 0 },
            "confSender" => r with { ConfSender = 1 },
            "confReceiver" => r with { ConfReceiver = 1 },
            "slots" => r with { ScheduleSlots = 1 },
            "packets" => r with { Packets = 10 },
            "sid" => r with { Sid = [.. new byte[15], 1] },
            "phb" => r with { TypeP = new TypeP(0x4000_002E) },
            "typePLowBits" => r with { TypeP = new TypeP(0x2E00_0001) },
            "typePTopBit" => r with { TypeP = new TypeP(0x8000_0000) },
            "ipv6SenderWithIpvn4" => r with { SenderAddress = IPAddress.Parse("2001:db8::1") },
            "ipv4ReceiverWithIpvn6" => r with { IpVersion = 6, SenderAddress = IPAddress.Parse("2001:db8::1") },
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };
        Assert.NotNull(r.Validate());
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0x2E00_0000u)]
    [InlineData(0x3F00_0000u)]
    public void ValidateAcceptsDscpTypeP(uint typeP) => Assert.Null((Request() with { TypeP = new TypeP(typeP) }).Validate());

    // ---------------- Accept-Session ----------------

    [Fact]
    public void AcceptSessionRoundTripsAndIgnoresMbz()
    {
        var a = new AcceptSession(AcceptCode.Ok, 19836, B("7f000001eead9547bea71583444ed3a0"));
        byte[] b = new byte[AcceptSession.BodySize];
        a.Write(b);
        Assert.Equal("00004d7c7f000001eead9547bea71583444ed3a0000000000000000000000000", H(b));
        var p = AcceptSession.Parse(WithMbzSet(b, (1, 1), (20, 12)));
        Assert.Equal((AcceptCode.Ok, (ushort)19836, H(a.Sid)), (p.Accept, p.Port, H(p.Sid)));
        byte[] again = new byte[AcceptSession.BodySize];
        p.Write(again);
        Assert.Equal(H(b), H(again));
    }

    [Theory]
    [InlineData(AcceptCode.Failure)]
    [InlineData(AcceptCode.NotSupported)]
    [InlineData(AcceptCode.TemporaryResourceLimitation)]
    public void RejectingAcceptSessionWritesPortZero(AcceptCode code)
    {
        byte[] b = new byte[AcceptSession.BodySize];
        new AcceptSession(code, 19836, new byte[16]).Write(b);
        Assert.Equal((byte)code, b[0]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(2)));
    }

    [Fact]
    public void RejectHasZeroPortAndZeroSid()
    {
        var r = AcceptSession.Reject(AcceptCode.NotSupported);
        Assert.Equal((AcceptCode.NotSupported, (ushort)0), (r.Accept, r.Port));
        Assert.All(r.Sid, x => Assert.Equal(0, x));
    }

    // ---------------- Start-Sessions, Start-Ack, Stop-Sessions ----------------

    [Fact]
    public void StartSessionsIsCommandTwoAndZeros()
    {
        byte[] b = Enumerable.Repeat((byte)0xEE, 32).ToArray();
        ShortControlMessage.WriteStartSessions(b);
        Assert.Equal("02000000000000000000000000000000", H(b.AsSpan(0, 16)));
    }

    [Fact]
    public void StartAckRoundTripsAndIgnoresMbz()
    {
        byte[] b = new byte[32];
        ShortControlMessage.WriteStartAck(b, AcceptCode.TemporaryResourceLimitation);
        Assert.Equal("05000000000000000000000000000000", H(b.AsSpan(0, 16)));
        b.AsSpan(1, 15).Fill(0xA5);
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, ShortControlMessage.ParseStartAck(b));
    }

    [Fact]
    public void StopSessionsRoundTripsAndIgnoresMbz()
    {
        byte[] b = new byte[32];
        ShortControlMessage.WriteStopSessions(b, AcceptCode.Failure, 0x01020304);
        Assert.Equal("03010000010203040000000000000000", H(b.AsSpan(0, 16)));
        b.AsSpan(2, 2).Fill(0xA5);
        b.AsSpan(8, 8).Fill(0xA5);
        Assert.Equal((AcceptCode.Failure, 0x01020304u), ShortControlMessage.ParseStopSessions(b));
    }

    [Fact]
    public void StopSessionsWithAnotherCommandIsAProtocolError()
    {
        byte[] b = new byte[32];
        b[0] = 2;
        Assert.Throws<ControlProtocolException>(() => ShortControlMessage.ParseStopSessions(b));
    }

    // ---------------- malformed input ----------------

    public static readonly Dictionary<string, Action<byte[]>> Parsers = new()
    {
        ["ServerGreeting"] = b => ServerGreeting.Parse(b),
        ["SetupResponse"] = b => SetupResponse.Parse(b),
        ["ServerStart"] = b => ServerStart.Parse(b),
        ["RequestTwSession"] = b => RequestTwSession.Parse(b),
        ["AcceptSession"] = b => AcceptSession.Parse(b),
        ["StartAck"] = b => ShortControlMessage.ParseStartAck(b),
        ["StopSessions"] = b => ShortControlMessage.ParseStopSessions(b),
    };

    [Theory]
    [InlineData("ServerGreeting", 0)]
    [InlineData("ServerGreeting", 63)]
    [InlineData("SetupResponse", 0)]
    [InlineData("SetupResponse", 163)]
    [InlineData("ServerStart", 47)]
    [InlineData("RequestTwSession", 0)]
    [InlineData("RequestTwSession", 95)]
    [InlineData("AcceptSession", 31)]
    [InlineData("StartAck", 0)]
    [InlineData("StopSessions", 0)]
    [InlineData("StopSessions", 7)]
    public void TooShortMessageIsAProtocolError(string message, int length)
    {
        byte[] b = new byte[length];
        if (length > 0) b[0] = message == "RequestTwSession" ? (byte)5 : message == "StopSessions" ? (byte)3 : (byte)0;
        Assert.Throws<ControlProtocolException>(() => Parsers[message](b));
    }

    // ---------------- Accept codes and modes ----------------

    [Theory]
    [InlineData(0, AcceptCode.Ok)]
    [InlineData(3, AcceptCode.NotSupported)]
    [InlineData(5, AcceptCode.TemporaryResourceLimitation)]
    [InlineData(6, AcceptCode.Failure)]
    [InlineData(9, AcceptCode.Failure)]
    [InlineData(255, AcceptCode.Failure)]
    public void NormalizeReadsReservedAcceptValuesAsFailure(byte value, AcceptCode expected) =>
        Assert.Equal(expected, AcceptCodeExtensions.Normalize(value));

    [Theory]
    [InlineData("unauth", TwampModes.Unauthenticated)]
    [InlineData("open", TwampModes.Unauthenticated)]
    [InlineData("AUTH", TwampModes.Authenticated)]
    [InlineData(" enc ", TwampModes.Encrypted)]
    [InlineData("encrypted", TwampModes.Encrypted)]
    [InlineData("m", TwampModes.Mixed)]
    [InlineData("8", TwampModes.Mixed)]
    public void TryParseReadsModeNames(string text, TwampModes expected)
    {
        Assert.True(TwampModesExtensions.TryParse(text, out var mode));
        Assert.Equal(expected, mode);
    }

    [Theory]
    [InlineData("foo")]
    [InlineData("")]
    [InlineData("16")]
    public void TryParseRejectsUnknownModeNames(string text) => Assert.False(TwampModesExtensions.TryParse(text, out _));

    [Theory]
    [InlineData("enc,auth", new[] { TwampModes.Encrypted, TwampModes.Authenticated })]
    [InlineData("enc, auth mixed", new[] { TwampModes.Encrypted, TwampModes.Authenticated, TwampModes.Mixed })]
    [InlineData("AEMO", new[] { TwampModes.Authenticated, TwampModes.Encrypted, TwampModes.Mixed, TwampModes.Unauthenticated })]
    [InlineData("enc,enc,auth", new[] { TwampModes.Encrypted, TwampModes.Authenticated })]
    [InlineData("mixed", new[] { TwampModes.Mixed })]
    public void TryParseListKeepsPreferenceOrder(string text, TwampModes[] expected)
    {
        Assert.True(TwampModesExtensions.TryParseList(text, out var modes, out var error));
        Assert.Null(error);
        Assert.Equal(expected, modes);
    }

    [Theory]
    [InlineData("foo", "foo")]
    [InlineData("enc,foo", "foo")]
    [InlineData(",", "empty")]
    public void TryParseListReportsTheBadItem(string text, string inError)
    {
        Assert.False(TwampModesExtensions.TryParseList(text, out var modes, out var error));
        Assert.Empty(modes);
        Assert.Contains(inError, error);
    }

    [Theory]
    [InlineData(TwampModes.Unauthenticated, false, TestSecurity.Unauthenticated)]
    [InlineData(TwampModes.Authenticated, true, TestSecurity.Authenticated)]
    [InlineData(TwampModes.Encrypted, true, TestSecurity.Encrypted)]
    [InlineData(TwampModes.Mixed, true, TestSecurity.Unauthenticated)]
    public void ModeSelectsControlSecurityAndTestFormat(TwampModes mode, bool secureControl, TestSecurity test)
    {
        Assert.Equal(secureControl, mode.HasSecureControl());
        Assert.Equal(test, mode.TestSecurity());
        Assert.True(mode.IsSingleSecurityMode());
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(0x0Fu)]
    [InlineData(0x10u)]
    public void ZeroOrSeveralSecurityBitsIsNotASingleMode(uint mode) => Assert.False(((TwampModes)mode).IsSingleSecurityMode());
}
