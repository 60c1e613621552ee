using System.Net;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Golden;

/// <summary>
/// OWAMP-Control codecs beyond the captures: layouts the captures do not exercise (skip ranges,
/// several sessions, exponential slots, IPv6, refusals), malformed input, and a seeded random
/// round trip (parse never throws anything but <see cref="ControlProtocolException"/>; parse∘write = identity).
/// </summary>
public class OwampControlCodecTests
{
    [Fact]
    public void StopSessionsWithSkipRangesPadsEachRecordToWholeBlocks()
    {
        var sid1 = B("0a000001eead0000000000000000aaaa");
        var sid2 = B("0a000001eead0000000000000000bbbb");
        var stop = new StopSessions(AcceptCode.Ok,
        [
            new StopSessionRecord(sid1, 50, [new SkipRange(0, 9)]),
            new StopSessionRecord(sid2, 7, [new SkipRange(1, 1), new SkipRange(3, 4)]),
        ]);
        // 16 header + 32 (24 + 8) + 48 (24 + 16 → 40, padded) + 16 HMAC.
        Assert.Equal(112, stop.Length);
        var b = new byte[stop.Length];
        stop.Write(b);
        Assert.Equal("03000000000000020000000000000000", H(b.AsSpan(0, 16)));
        Assert.Equal(H(sid1) + "00000032" + "00000001" + "00000000" + "00000009", H(b.AsSpan(16, 32)));
        Assert.Equal(H(sid2) + "00000007" + "00000002" + "00000001" + "00000001" + "00000003" + "00000004" + "0000000000000000", H(b.AsSpan(48, 48)));
        var back = StopSessions.Parse(b);
        Assert.Equal(2, back.Sessions.Count);
        Assert.Equal([new SkipRange(1, 1), new SkipRange(3, 4)], back.Sessions[1].SkipRanges);
        Assert.Equal(50u, back.Sessions[0].NextSeqno);
    }

    [Fact]
    public void StopSessionsAnnouncingMoreSessionsThanItHoldsIsAProtocolError()
    {
        var b = new byte[16 + 16];
        ShortControlMessage.WriteStopSessions(b, AcceptCode.Ok, 1);
        Assert.Throws<ControlProtocolException>(() => StopSessions.Parse(b));
    }

    [Fact]
    public void StopSessionRecordShorterThanItsSkipCountIsAProtocolError()
    {
        var b = new byte[32];
        b[23] = 2; // two skip ranges need 48 octets
        Assert.Throws<ControlProtocolException>(() => StopSessionRecord.Parse(b));
    }

    [Fact]
    public void FetchAckRefusalCarriesNothingButTheAcceptCode()
    {
        var b = new byte[FetchAck.Size];
        new FetchAck(AcceptCode.Failure, true, 5, 2, 9).Write(b);
        Assert.Equal("01000000000000000000000000000000", H(b.AsSpan(0, 16)));
        // A client MUST ignore the other fields of a refusal.
        b[4] = 7;
        Assert.Equal(FetchAck.Reject(AcceptCode.Failure), FetchAck.Parse(b));
    }

    [Fact]
    public void FetchAckOfARunningSessionHasNoNextSeqnoOrSkipRanges()
    {
        var b = new byte[FetchAck.Size];
        new FetchAck(AcceptCode.Ok, false, 5, 2, 9).Write(b);
        Assert.Equal("00000000000000000000000000000009", H(b.AsSpan(0, 16)));
    }

    [Fact]
    public void FetchSessionEncodesTheRange()
    {
        var sid = B("7f000001eead9595b3d2418072b2e2ee");
        var b = new byte[FetchSession.Size];
        new FetchSession(10, 19, sid).Write(b);
        Assert.Equal("04000000000000000000000a00000013" + H(sid), H(b.AsSpan(0, 32)));
        var f = FetchSession.Parse(b);
        Assert.False(f.IsComplete);
        Assert.True(f.Covers(10) && f.Covers(19) && !f.Covers(20) && !f.Covers(9));
        Assert.True(FetchSession.Complete(sid).IsComplete);
    }

    [Fact]
    public void LostPacketRecordHasZeroReceiveTimeTtl255AndSendErrorMultiplier1()
    {
        var r = PacketRecord.Lost(42, new NtpTimestamp(0xeead959600000000), new ErrorEstimate(0x8587));
        var b = new byte[PacketRecord.Size];
        r.Write(b);
        Assert.Equal("0000002a" + "0001" + "8587" + "eead959600000000" + "0000000000000000" + "ff", H(b));
        Assert.True(PacketRecord.Read(b).IsLost);
    }

    [Fact]
    public void SessionDataWithSkipRangesAndRecordsHasFourPartsOfWholeBlocks()
    {
        var request = new RequestSession
        {
            ConfReceiver = 1, Packets = 3, SenderPort = 5000, ReceiverPort = 6000,
            SenderAddress = IPAddress.Loopback, ReceiverAddress = IPAddress.Loopback,
            Slots = [ScheduleSlot.Exponential(TimeSpan.FromMilliseconds(1)), ScheduleSlot.Fixed(TimeSpan.FromTicks(0))],
        };
        var data = new SessionData(request, [new SkipRange(1, 1)],
        [
            new PacketRecord(0, new ErrorEstimate(1), new ErrorEstimate(1), new NtpTimestamp(1), new NtpTimestamp(2), 64),
            new PacketRecord(2, new ErrorEstimate(1), new ErrorEstimate(1), new NtpTimestamp(3), new NtpTimestamp(4), 63),
        ]);
        // 112 + (32 + 16) + (16 + 16) + (64 + 16)
        Assert.Equal(112 + 48 + 32 + 80, data.Length);
        var b = new byte[data.Length];
        data.Write(b);
        var back = SessionData.Parse(b, 1, 2);
        Assert.Equal(data.SkipRanges, back.SkipRanges);
        Assert.Equal(data.Records, back.Records);
        Assert.Equal(request.Slots, back.Request.Slots);
        Assert.Equal(ScheduleSlotType.Exponential, back.Request.Slots[0].Type);
    }

    public static TheoryData<string, Func<RequestSession, RequestSession>> InvalidRequests => new()
    {
        { "IPVN", r => r with { IpVersion = 5 } },
        { "neither", r => r with { ConfSender = 0, ConfReceiver = 0 } },
        { "both", r => r with { ConfSender = 1, ConfReceiver = 1 } },
        { "no slots", r => r with { Slots = [] } },
        { "slot type", r => r with { Slots = [new ScheduleSlot((ScheduleSlotType)2, 0)] } },
        { "Type-P", r => r with { ConfSender = 1, ConfReceiver = 0, TypeP = new TypeP(0x4000_0000) } },
        { "address family", r => r with { SenderAddress = IPAddress.IPv6Loopback } },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public void RequestSessionValidationNamesWhatIsWrong(string what, Func<RequestSession, RequestSession> spoil)
    {
        var good = new RequestSession { ConfReceiver = 1, Packets = 10, SenderPort = 1, SenderAddress = IPAddress.Loopback, Slots = [ScheduleSlot.Fixed(TimeSpan.FromTicks(1))] };
        Assert.Null(good.Validate());
        Assert.NotNull(spoil(good).Validate());
        _ = what;
    }

    [Fact]
    public void TypePIsOnlyADeclarationWhenTheServerReceives()
    {
        // RFC 4656 §3.5: without Conf-Sender the server pays no attention to the Type-P Descriptor.
        var r = new RequestSession { ConfReceiver = 1, Slots = [ScheduleSlot.Fixed(TimeSpan.FromTicks(1))], TypeP = new TypeP(0x4000_0000) };
        Assert.Null(r.Validate());
    }

    [Fact]
    public void Ipv6RequestRoundTrips()
    {
        var r = new RequestSession
        {
            IpVersion = 6, ConfSender = 1, Packets = 1, ReceiverPort = 861,
            SenderAddress = IPAddress.Parse("2001:db8::1"), ReceiverAddress = IPAddress.Parse("2001:db8::2"),
            Sid = B("20010db8eead0000000000000000cccc"), Slots = [ScheduleSlot.Fixed(TimeSpan.FromTicks(5))], TypeP = TypeP.FromDscp(46),
        };
        var b = new byte[r.Length];
        r.Write(b);
        var back = RequestSession.Parse(b);
        Assert.Equal(r.SenderAddress, back.SenderAddress);
        Assert.Equal(r.ReceiverAddress, back.ReceiverAddress);
        Assert.Equal(46, back.TypeP.Dscp);
        Assert.Null(back.Validate());
    }

    [Fact]
    public void RequestWithFewerSlotOctetsThanAnnouncedIsAProtocolError()
    {
        var r = new RequestSession { ConfReceiver = 1, Slots = [ScheduleSlot.Fixed(TimeSpan.FromTicks(1)), ScheduleSlot.Fixed(TimeSpan.FromTicks(2))] };
        var b = new byte[r.Length];
        r.Write(b);
        Assert.Throws<ControlProtocolException>(() => RequestSession.Parse(b.AsSpan(0, b.Length - 17)));
        b[0] = 5;
        Assert.Throws<ControlProtocolException>(() => RequestSession.ParsePreamble(b));
    }

    [Fact]
    public void SkipRangesOutOfOrderOrOverlappingAreInvalid()
    {
        Assert.True(SkipRange.AreOrdered([new SkipRange(0, 3), new SkipRange(5, 5)]));
        Assert.False(SkipRange.AreOrdered([new SkipRange(5, 5), new SkipRange(0, 3)]));
        Assert.False(SkipRange.AreOrdered([new SkipRange(0, 3), new SkipRange(3, 4)]));
        Assert.False(SkipRange.AreOrdered([new SkipRange(4, 3)]));
    }

    [Fact]
    public void RandomBytesNeverThrowAnythingButProtocolErrorsAndRoundTrip()
    {
        var rng = new Random(4656);
        for (int i = 0; i < 3000; i++)
        {
            var b = new byte[rng.Next(0, 200)];
            rng.NextBytes(b);
            if (b.Length > 0 && rng.Next(2) == 0) b[0] = (byte)rng.Next(1, 5);
            if (b.Length > 7 && rng.Next(2) == 0) { b[4] = b[5] = b[6] = 0; b[7] = (byte)rng.Next(0, 4); }
            TryRoundTrip(b, RequestSession.Parse, (RequestSession r) => { var o = new byte[r.Length]; r.Write(o); return o; }, RequestSession.Parse);
            TryRoundTrip(b, StopSessions.Parse, (StopSessions s) => { var o = new byte[s.Length]; s.Write(o); return o; }, StopSessions.Parse);
            TryRoundTrip(b, FetchSession.Parse, (FetchSession f) => { var o = new byte[FetchSession.Size]; f.Write(o); return o; }, FetchSession.Parse);
            TryRoundTrip(b, FetchAck.Parse, (FetchAck f) => { var o = new byte[FetchAck.Size]; f.Write(o); return o; }, FetchAck.Parse);
        }
    }

    delegate T Parser<T>(ReadOnlySpan<byte> b);

    static void TryRoundTrip<T>(byte[] input, Parser<T> parse, Func<T, byte[]> write, Parser<T> parseAgain)
    {
        T first;
        try { first = parse(input); }
        catch (ControlProtocolException) { return; }
        var once = write(first);
        var twice = write(parseAgain(once));
        Assert.Equal(H(once), H(twice));
    }
}
