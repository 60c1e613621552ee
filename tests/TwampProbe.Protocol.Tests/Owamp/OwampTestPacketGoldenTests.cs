using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Owamp.Test;
using TwampProbe.Protocol.Wire.Test;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Owamp;

/// <summary>
/// The OWAMP-Test packets of the owping ↔ owampd golden captures (100 each way, fixed 10 ms slots):
/// decoded and, in modes 2 and 4, decrypted and HMAC-checked with the SID-derived keys; re-encoded from
/// the decoded fields byte for byte; and the send times checked against our schedule of the session's slots.
/// </summary>
public class OwampTestPacketGoldenTests
{
    public static TheoryData<string, TwampModes, string, string> Captures => new()
    {
        // file, mode, SID of the client → server session (Accept-Session), of the server → client one (Request-Session)
        { "owamp_O.pcapng", TwampModes.Unauthenticated, "", "7f000001eead95870c471b47cc3a9d89" },
        { "owamp_A.pcapng", TwampModes.Authenticated, "7f000001eead9595b3d2418072b2e2ee", "7f000001eead9595b424d4cb24743372" },
        { "owamp_E.pcapng", TwampModes.Encrypted, "7f000001eead95a4724d6e47f838d6cb", "7f000001eead95a472ab9b2341831896" },
    };

    static IEnumerable<OwampGoldenSessions.Session> Both(OwampGoldenSessions g) => [g.ToServer, g.FromServer];

    [Theory]
    [MemberData(nameof(Captures))]
    public void EveryTestPacketDecodesWithItsSessionKeys(string file, TwampModes mode, string toServerSid, string fromServerSid)
    {
        var g = OwampGoldenSessions.Load(file);
        Assert.Equal(mode, g.Mode);
        if (toServerSid != "") Assert.Equal(toServerSid, H(g.ToServer.Sid));
        Assert.Equal(fromServerSid, H(g.FromServer.Sid));
        var security = mode.TestSecurity();
        foreach (var s in Both(g))
        {
            Assert.Equal(100, s.TestPackets.Count);
            using var crypto = security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(g.Keys!, s.Sid, security);
            for (int i = 0; i < s.TestPackets.Count; i++)
            {
                var bytes = s.TestPackets[i].Payload.ToArray();
                Assert.Equal(OwampTestPacket.HeaderLength(security) + (int)s.Padding, bytes.Length);
                if (crypto is not null) Assert.True(crypto.UnprotectSender(bytes), $"{file} packet {i}: HMAC");
                var p = new OwampTestPacket(bytes, security);
                Assert.Equal((uint)i, p.SequenceNumber);
                Assert.True(p.ErrorEstimate.IsValid);
                Assert.Equal(0x0001, p.ErrorEstimate.Value); // perfSONAR unsynchronized (PROTOCOL.md §1.1)
                Assert.Equal(255, s.TestPackets[i].Ttl);     // RFC 4656 §4.1.2: SHOULD send with TTL 255
                if (security != TestSecurity.Unauthenticated)
                {
                    Assert.True(bytes.AsSpan(4, 12).IndexOfAnyExcept((byte)0) < 0, "MBZ 4-15");
                    Assert.True(bytes.AsSpan(26, 6).IndexOfAnyExcept((byte)0) < 0, "MBZ 26-31");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void ReencodingTheDecodedFieldsReproducesEveryPacketByteForByte(string file, TwampModes mode, string toServerSid, string fromServerSid)
    {
        _ = (toServerSid, fromServerSid);
        var g = OwampGoldenSessions.Load(file);
        var security = mode.TestSecurity();
        foreach (var s in Both(g))
        {
            using var rx = security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(g.Keys!, s.Sid, security);
            using var tx = security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(g.Keys!, s.Sid, security);
            foreach (var captured in s.TestPackets)
            {
                var plain = captured.Payload.ToArray();
                rx?.UnprotectSender(plain);
                var decoded = new OwampTestPacket(plain, security);
                var rebuilt = new byte[plain.Length];
                rebuilt.AsSpan().Fill(0xee); // ClearHeader must zero every MBZ octet
                var p = new OwampTestPacket(rebuilt, security);
                p.ClearHeader();
                p.SequenceNumber = decoded.SequenceNumber;
                p.Timestamp = decoded.Timestamp;
                p.ErrorEstimate = decoded.ErrorEstimate;
                decoded.Padding.CopyTo(p.Padding);
                tx?.ProtectSender(rebuilt);
                Assert.Equal(H(captured.Payload), H(rebuilt));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void ProtectionCoversTheRfcOctetsOnly(string file, TwampModes mode, string toServerSid, string fromServerSid)
    {
        _ = (toServerSid, fromServerSid);
        var security = mode.TestSecurity();
        if (security == TestSecurity.Unauthenticated) return;
        var g = OwampGoldenSessions.Load(file);
        using var crypto = new TestPacketCrypto(g.Keys!, g.ToServer.Sid, security);
        var bytes = g.ToServer.TestPackets[5].Payload.ToArray();
        // Mode 2: the Timestamp (16-23) is sent in clear; mode 4: it is encrypted (RFC 4656 §4.1.2).
        var clearTimestamp = NtpTimestamp.Read(bytes.AsSpan(16));
        Assert.True(crypto.UnprotectSender(bytes.ToArray()));
        var plain = bytes.ToArray();
        crypto.UnprotectSender(plain);
        Assert.Equal(security == TestSecurity.Authenticated, clearTimestamp == new OwampTestPacket(plain, security).Timestamp);
        // A flipped octet inside the protected region fails the HMAC (the receiver MUST discard it, RFC 4656 §4.2).
        var tampered = g.ToServer.TestPackets[5].Payload.ToArray();
        tampered[security == TestSecurity.Authenticated ? 3 : 20] ^= 1;
        Assert.False(crypto.UnprotectSender(tampered));
        // A packet of the other session (other SID, other keys) fails too.
        Assert.False(crypto.UnprotectSender(g.FromServer.TestPackets[5].Payload.ToArray()));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void PacketsLeaveAtTheSendTimesOurScheduleComputesForTheirSlots(string file, TwampModes mode, string toServerSid, string fromServerSid)
    {
        _ = (toServerSid, fromServerSid);
        var g = OwampGoldenSessions.Load(file);
        var security = mode.TestSecurity();
        foreach (var s in Both(g))
        {
            Assert.Equal(ScheduleSlot.Fixed(TimeSpan.FromMilliseconds(10)), s.Slots.Single()); // owping -i 0.01f
            var offsets = Schedule.Offsets(s.Sid, s.Slots, (int)s.Packets);
            using var crypto = security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(g.Keys!, s.Sid, security);
            var late = new List<long>();
            for (int i = 0; i < s.TestPackets.Count; i++)
            {
                var bytes = s.TestPackets[i].Payload.ToArray();
                crypto?.UnprotectSender(bytes);
                var sent = new OwampTestPacket(bytes, security).Timestamp.ToUnixNanoseconds();
                long scheduled = Schedule.SendTime(s.Start, offsets[i]).ToUnixNanoseconds();
                late.Add(sent - scheduled);
            }
            // Packet n leaves one slot after packet n − 1, the first one slot after Start Time: never early,
            // never later than the Timeout, and typically (median) within 1 ms of our computed time.
            Assert.All(late, d => Assert.InRange(d, -100_000, s.Timeout.IntervalNanoseconds));
            late.Sort();
            Assert.InRange(late[late.Count / 2], 0, 1_000_000);
        }
    }

    [Theory]
    [InlineData(TestSecurity.Unauthenticated, 14)]
    [InlineData(TestSecurity.Authenticated, 48)]
    [InlineData(TestSecurity.Encrypted, 48)]
    public void MinimumLengthIs14Or48(TestSecurity security, int header)
    {
        Assert.Equal(header, OwampTestPacket.HeaderLength(security));
        Assert.False(OwampTestPacket.IsLongEnough(header - 1, security));
        Assert.True(OwampTestPacket.IsLongEnough(header, security));
    }

    [Fact]
    public void UnauthenticatedFieldsSitAtOctets0To13AndPaddingFollows()
    {
        var bytes = new byte[14 + 3];
        var p = new OwampTestPacket(bytes, TestSecurity.Unauthenticated);
        p.SequenceNumber = 0x01020304;
        p.Timestamp = new NtpTimestamp(0x1112131415161718);
        p.ErrorEstimate = new ErrorEstimate(0x8587);
        p.Padding.Fill(0xaa);
        Assert.Equal("01020304 1112131415161718 8587 aaaaaa".Replace(" ", ""), H(bytes));
        Assert.Equal(0, p.Hmac.Length);
    }

    [Fact]
    public void SecureFieldsSitAtOctets0And16And24WithTheHmacAt32()
    {
        var bytes = new byte[48 + 2];
        var p = new OwampTestPacket(bytes, TestSecurity.Encrypted);
        p.SequenceNumber = 7;
        p.Timestamp = new NtpTimestamp(0x1112131415161718);
        p.ErrorEstimate = new ErrorEstimate(0x8587);
        p.Hmac.Fill(0x55);
        p.Padding.Fill(0xaa);
        Assert.Equal("00000007" + new string('0', 24) + "1112131415161718" + "8587" + new string('0', 12) + new string('5', 32) + "aaaa", H(bytes));
    }
}
