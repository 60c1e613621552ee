using System.Buffers.Binary;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Protocol.Wire.Owamp.Test;

/// <summary>
/// A view over an OWAMP-Test packet in place (RFC 4656 §4.1.2). Allocates nothing.
/// <code>
/// field              unauthenticated (mode 1)   authenticated / encrypted (modes 2, 4)
/// Sequence Number    0-3                        0-3
/// MBZ                -                          4-15
/// Timestamp          4-11                       16-23
/// Error Estimate     12-13                      24-25
/// MBZ                -                          26-31
/// HMAC               -                          32-47
/// Packet Padding     14-                        48-
/// </code>
/// "The minimum data segment length is, therefore, 14 octets in unauthenticated mode, and 48 octets in
/// both authenticated mode and encrypted modes." The layout is the TWAMP Session-Sender packet's, so the
/// protection is <see cref="Crypto.TestPacketCrypto.ProtectSender"/>: mode 2 ECB-encrypts octets 0-15 and
/// the HMAC covers them; mode 4 CBC-encrypts (IV 0) octets 0-31 and the HMAC covers those; the HMAC is
/// never encrypted and the padding neither encrypted nor authenticated (RFC 4656 §4.1.2).
/// </summary>
public readonly ref struct OwampTestPacket
{
    public const int UnauthenticatedHeader = 14;
    public const int SecureHeader = 48;
    const int SequenceOffset = 0;
    const int UnauthTimestamp = 4, UnauthErrorEstimate = 12;
    const int SecureTimestamp = 16, SecureErrorEstimate = 24, HmacOffset = 32;

    readonly Span<byte> _b;
    readonly bool _secure;

    public OwampTestPacket(Span<byte> buffer, TestSecurity security)
    {
        _b = buffer;
        _secure = security != TestSecurity.Unauthenticated;
    }

    /// <summary>Header octets before the padding: 14 (mode 1) or 48 (modes 2, 4).</summary>
    public static int HeaderLength(TestSecurity security) =>
        security == TestSecurity.Unauthenticated ? UnauthenticatedHeader : SecureHeader;

    /// <summary>A packet of this length can be read (at least the header).</summary>
    public static bool IsLongEnough(int length, TestSecurity security) => length >= HeaderLength(security);

    public Span<byte> Bytes => _b;
    public int HeaderSize => _secure ? SecureHeader : UnauthenticatedHeader;

    public uint SequenceNumber
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_b[SequenceOffset..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_b[SequenceOffset..], value);
    }

    public NtpTimestamp Timestamp
    {
        get => NtpTimestamp.Read(_b[(_secure ? SecureTimestamp : UnauthTimestamp)..]);
        set => value.Write(_b[(_secure ? SecureTimestamp : UnauthTimestamp)..]);
    }

    public ErrorEstimate ErrorEstimate
    {
        get => ErrorEstimate.Read(_b[(_secure ? SecureErrorEstimate : UnauthErrorEstimate)..]);
        set => value.Write(_b[(_secure ? SecureErrorEstimate : UnauthErrorEstimate)..]);
    }

    /// <summary>The 16-octet HMAC field (empty in unauthenticated mode).</summary>
    public Span<byte> Hmac => _secure ? _b.Slice(HmacOffset, TestPacketLayout.HmacLength) : [];

    /// <summary>The Packet Padding octets after the header.</summary>
    public Span<byte> Padding => _b[HeaderSize..];

    /// <summary>Zeros the header (MBZ fields included) before the fields are set; the padding is left alone.</summary>
    public void ClearHeader() => _b[..HeaderSize].Clear();
}
