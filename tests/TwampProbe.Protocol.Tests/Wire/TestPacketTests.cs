using System.Buffers.Binary;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;
using Xunit;

namespace TwampProbe.Protocol.Tests.Wire;

/// <summary>TWAMP-Test packet views at the offsets of PROTOCOL.md §7.1/§7.2.</summary>
public class TestPacketTests
{
    public static TheoryData<TestSecurity, int, int, int, int> SenderOffsets => new()
    {
        // security, T1, error estimate, HMAC (-1 none), header length
        { TestSecurity.Unauthenticated, 4, 12, -1, 14 },
        { TestSecurity.Authenticated, 16, 24, 32, 48 },
        { TestSecurity.Encrypted, 16, 24, 32, 48 },
    };

    [Theory]
    [MemberData(nameof(SenderOffsets))]
    public void SenderFieldsLandAtTheDocumentedOffsets(TestSecurity security, int t1, int err, int hmac, int header)
    {
        var layout = TestPacketLayout.For(security);
        Assert.Equal((header, hmac), (layout.SenderHeader, layout.SenderHmac));
        byte[] buf = new byte[header + 3];
        var p = new SenderPacket(buf, layout)
        {
            SequenceNumber = 0x01020304,
            Timestamp = new NtpTimestamp(0x1112131415161718),
            ErrorEstimate = new ErrorEstimate(0x8587),
        };
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32BigEndian(buf));
        Assert.Equal(0x1112131415161718ul, BinaryPrimitives.ReadUInt64BigEndian(buf.AsSpan(t1)));
        Assert.Equal(0x8587, BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(err)));
        var written = new HashSet<int>(Enumerable.Range(0, 4).Concat(Enumerable.Range(t1, 8)).Concat(Enumerable.Range(err, 2)));
        for (int i = 0; i < buf.Length; i++)
            if (!written.Contains(i)) Assert.True(buf[i] == 0, $"octet {i} is MBZ/padding but was written");
        Assert.Equal((0x01020304u, 0x1112131415161718ul, (ushort)0x8587), (p.SequenceNumber, p.Timestamp.Value, p.ErrorEstimate.Value));
    }

    public static TheoryData<TestSecurity, int[]> ReflectorOffsets => new()
    {
        // T3, error, T2, sender seq, sender T1, sender error, Sender TTL, HMAC, header
        { TestSecurity.Unauthenticated, [4, 12, 16, 24, 28, 36, 40, -1, 41] },
        { TestSecurity.Authenticated, [16, 24, 32, 48, 64, 72, 80, 96, 112] },
        { TestSecurity.Encrypted, [16, 24, 32, 48, 64, 72, 80, 96, 112] },
    };

    [Theory]
    [MemberData(nameof(ReflectorOffsets))]
    public void ReflectorFieldsLandAtTheDocumentedOffsets(TestSecurity security, int[] o)
    {
        var layout = TestPacketLayout.For(security);
        Assert.Equal((o[7], o[8]), (layout.ReflectorHmac, layout.ReflectorHeader));
        byte[] buf = new byte[o[8] + 5];
        var p = new ReflectorPacket(buf, layout)
        {
            SequenceNumber = 0xA1A2A3A4,
            Timestamp = new NtpTimestamp(0x3132333435363738),
            ErrorEstimate = new ErrorEstimate(0x0001),
            ReceiveTimestamp = new NtpTimestamp(0x2122232425262728),
            SenderSequenceNumber = 0xB1B2B3B4,
            SenderTimestamp = new NtpTimestamp(0x1112131415161718),
            SenderErrorEstimate = new ErrorEstimate(0x8F84),
            SenderTtl = 0xFE,
        };
        Assert.Equal(0xA1A2A3A4u, BinaryPrimitives.ReadUInt32BigEndian(buf));
        Assert.Equal(0x3132333435363738ul, BinaryPrimitives.ReadUInt64BigEndian(buf.AsSpan(o[0])));
        Assert.Equal(0x0001, BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(o[1])));
        Assert.Equal(0x2122232425262728ul, BinaryPrimitives.ReadUInt64BigEndian(buf.AsSpan(o[2])));
        Assert.Equal(0xB1B2B3B4u, BinaryPrimitives.ReadUInt32BigEndian(buf.AsSpan(o[3])));
        Assert.Equal(0x1112131415161718ul, BinaryPrimitives.ReadUInt64BigEndian(buf.AsSpan(o[4])));
        Assert.Equal(0x8F84, BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(o[5])));
        Assert.Equal(0xFE, buf[o[6]]);
        var written = new HashSet<int>(Enumerable.Range(0, 4).Concat(Enumerable.Range(o[0], 8)).Concat(Enumerable.Range(o[1], 2))
            .Concat(Enumerable.Range(o[2], 8)).Concat(Enumerable.Range(o[3], 4)).Concat(Enumerable.Range(o[4], 8))
            .Concat(Enumerable.Range(o[5], 2)).Append(o[6]));
        for (int i = 0; i < buf.Length; i++)
            if (!written.Contains(i)) Assert.True(buf[i] == 0, $"octet {i} is MBZ/padding but was written");
        Assert.Equal(0xB1B2B3B4u, p.SenderSequenceNumber);
        Assert.Equal(0x1112131415161718ul, p.SenderTimestamp.Value);
        Assert.Equal(0x2122232425262728ul, p.ReceiveTimestamp.Value);
        Assert.Equal((ushort)0x8F84, p.SenderErrorEstimate.Value);
        Assert.Equal(0xFE, p.SenderTtl);
    }

    [Theory]
    [InlineData(TestSecurity.Unauthenticated, 27, 0, 0)]
    [InlineData(TestSecurity.Authenticated, 64, 16, 16)]
    [InlineData(TestSecurity.Encrypted, 64, 32, 96)]
    public void LayoutHasSymmetricPaddingAndProtectedLengths(TestSecurity security, int padding, int senderProtected, int reflectorProtected)
    {
        var l = TestPacketLayout.For(security);
        Assert.Equal(security, l.Security);
        Assert.Equal(padding, l.SymmetricPadding);
        Assert.Equal((senderProtected, reflectorProtected), (l.SenderProtected, l.ReflectorProtected));
    }

    [Theory]
    [InlineData(TwampModes.Unauthenticated, TestSecurity.Unauthenticated)]
    [InlineData(TwampModes.Authenticated, TestSecurity.Authenticated)]
    [InlineData(TwampModes.Encrypted, TestSecurity.Encrypted)]
    [InlineData(TwampModes.Mixed, TestSecurity.Unauthenticated)]
    public void ModeSelectsLayout(TwampModes mode, TestSecurity security) => Assert.Equal(security, TestPacketLayout.For(mode).Security);

    [Theory]
    [InlineData(TestSecurity.Unauthenticated)]
    [InlineData(TestSecurity.Encrypted)]
    public void ClearHeaderZerosTheHeaderButNotThePadding(TestSecurity security)
    {
        var l = TestPacketLayout.For(security);
        byte[] s = Enumerable.Repeat((byte)0xCC, l.SenderHeader + 4).ToArray();
        new SenderPacket(s, l).ClearHeader();
        Assert.All(s[..l.SenderHeader], b => Assert.Equal(0, b));
        Assert.All(s[l.SenderHeader..], b => Assert.Equal(0xCC, b));
        byte[] r = Enumerable.Repeat((byte)0xCC, l.ReflectorHeader + 4).ToArray();
        new ReflectorPacket(r, l).ClearHeader();
        Assert.All(r[..l.ReflectorHeader], b => Assert.Equal(0, b));
        Assert.All(r[l.ReflectorHeader..], b => Assert.Equal(0xCC, b));
    }
}
