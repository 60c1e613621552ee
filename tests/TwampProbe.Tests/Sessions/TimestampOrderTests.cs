using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Tests.Sessions;

/// <summary>T1 is read as late as each mode allows (RFC 4656 §4.1.2, RFC 5357 §4.2.1): a clock that copies the packet when it is read.</summary>
public sealed class TimestampOrderTests
{
    const long Now = 1_700_000_000_123_456_789;

    sealed class SnapshotClock(byte[] packet) : IClock
    {
        public byte[]? AtRead;
        public long MonotonicNanoseconds => 0;
        public long UnixNanoseconds
        {
            get
            {
                AtRead = (byte[])packet.Clone();
                return Now;
            }
        }
    }

    static readonly ErrorEstimate Estimate = ErrorEstimate.FromError(0.001, true);

    static (byte[] Packet, SnapshotClock Clock) Fresh(TestPacketLayout layout)
    {
        var packet = new byte[layout.ReflectorHeader];
        var view = new SenderPacket(packet, layout);
        view.ClearHeader();
        view.SequenceNumber = 7;
        return (packet, new SnapshotClock(packet));
    }

    [Fact]
    public void AuthenticatedModeReadsTheClockAfterTheFirstBlockIsProtected()
    {
        var layout = TestPacketLayout.Authenticated;
        using var keys = SessionKeys.CreateRandom();
        var sid = new byte[16];
        using var tx = new TestPacketCrypto(keys, sid, TestSecurity.Authenticated);
        using var rx = new TestPacketCrypto(keys, sid, TestSecurity.Authenticated);
        var (packet, clock) = Fresh(layout);

        long t1 = TimestampOrder.StampSender(packet, layout, tx, Estimate, clock);

        // At the clock read, block 1 is already encrypted and the HMAC written.
        Assert.NotEqual(7u, new SenderPacket(clock.AtRead!, layout).SequenceNumber);
        Assert.Contains(clock.AtRead!.AsSpan(layout.SenderHmac, 16).ToArray(), b => b != 0);
        Assert.Equal(Now, t1);
        Assert.True(rx.UnprotectSender(packet)); // T1 and Error Estimate are outside the HMAC
        var view = new SenderPacket(packet, layout);
        Assert.Equal((7u, NtpTimestamp.FromUnixNanoseconds(Now), Estimate), (view.SequenceNumber, view.Timestamp, view.ErrorEstimate));
    }

    [Fact]
    public void EncryptedModeReadsTheClockBeforeProtecting()
    {
        var layout = TestPacketLayout.Encrypted;
        using var keys = SessionKeys.CreateRandom();
        var sid = new byte[16];
        using var tx = new TestPacketCrypto(keys, sid, TestSecurity.Encrypted);
        using var rx = new TestPacketCrypto(keys, sid, TestSecurity.Encrypted);
        var (packet, clock) = Fresh(layout);

        TimestampOrder.StampSender(packet, layout, tx, Estimate, clock);

        // At the clock read, nothing is protected yet: T1 goes into the encrypted part.
        Assert.Equal(7u, new SenderPacket(clock.AtRead!, layout).SequenceNumber);
        Assert.All(clock.AtRead!.AsSpan(layout.SenderHmac, 16).ToArray(), b => Assert.Equal(0, b));
        Assert.NotEqual(NtpTimestamp.FromUnixNanoseconds(Now), new SenderPacket(packet, layout).Timestamp); // encrypted on the wire
        Assert.True(rx.UnprotectSender(packet));
        Assert.Equal(NtpTimestamp.FromUnixNanoseconds(Now), new SenderPacket(packet, layout).Timestamp);
    }

    [Fact]
    public void UnauthenticatedModeWritesT1Last()
    {
        var layout = TestPacketLayout.Unauthenticated;
        var (packet, clock) = Fresh(layout);

        TimestampOrder.StampSender(packet, layout, null, Estimate, clock);

        Assert.Equal(Estimate, new SenderPacket(clock.AtRead!, layout).ErrorEstimate);
        Assert.Equal(NtpTimestamp.FromUnixNanoseconds(Now), new SenderPacket(packet, layout).Timestamp);
    }

    [Fact]
    public void OnlyAuthenticatedModeProtectsBeforeTheTimestamp()
    {
        using var keys = SessionKeys.CreateRandom();
        var sid = new byte[16];
        using var auth = new TestPacketCrypto(keys, sid, TestSecurity.Authenticated);
        using var enc = new TestPacketCrypto(keys, sid, TestSecurity.Encrypted);
        Assert.True(TimestampOrder.ProtectsFirst(auth));
        Assert.False(TimestampOrder.ProtectsFirst(enc));
        Assert.False(TimestampOrder.ProtectsFirst(null)); // modes 1 and 8
    }
}
