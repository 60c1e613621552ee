namespace TwampProbe.Protocol.Wire.Test;

/// <summary>
/// Field offsets of the TWAMP-Test packets (RFC 5357 §4.1.2, §4.2.1; RFC 4656 §4.1.2).
/// <code>
/// Session-Sender           unauth (1, 8)   auth/enc (2, 4)
///   Sequence Number        0-3             0-3
///   MBZ                    -               4-15
///   Timestamp (T1)         4-11            16-23
///   Error Estimate         12-13           24-25
///   MBZ                    -               26-31
///   HMAC                   -               32-47
///   Packet Padding         14-             48-
///
/// Session-Reflector        unauth (1, 8)   auth/enc (2, 4)
///   Sequence Number        0-3             0-3
///   Timestamp (T3)         4-11            16-23
///   Error Estimate         12-13           24-25
///   Receive Timestamp (T2) 16-23           32-39
///   Sender Sequence Number 24-27           48-51
///   Sender Timestamp       28-35           64-71
///   Sender Error Estimate  36-37           72-73
///   Sender TTL             40              80
///   HMAC                   -               96-111
///   Packet Padding         41-             112-
/// </code>
/// With RFC 7750 DSCP and ECN Monitoring (mode 256) the reflector packet carries the received
/// DSCP+ECN octet right after Sender TTL (41 / 81), and the unauthenticated reflector header grows
/// to 44 octets (41-43 replace the padding's first octets).
/// RFC 5357's prose gives a 104-octet authenticated reflector packet; its figure adds up to 112, which
/// is what interoperating implementations (perfSONAR) use. All MBZ octets are written as zeros.
/// </summary>
public sealed class TestPacketLayout
{
    public required TestSecurity Security { get; init; }

    // Session-Sender packet
    public required int SenderTimestamp { get; init; }
    public required int SenderErrorEstimate { get; init; }
    public required int SenderHmac { get; init; }
    public required int SenderHeader { get; init; }

    // Session-Reflector packet
    public required int ReflectorTimestamp { get; init; }
    public required int ReflectorErrorEstimate { get; init; }
    public required int ReceiveTimestamp { get; init; }
    public required int SenderSequence { get; init; }
    public required int CopiedSenderTimestamp { get; init; }
    public required int CopiedSenderErrorEstimate { get; init; }
    public required int SenderTtl { get; init; }
    /// <summary>RFC 7750 S-DSCP-ECN octet; -1 when DSCP and ECN Monitoring is not negotiated.</summary>
    public int SenderDscpEcn { get; init; } = -1;
    public required int ReflectorHmac { get; init; }
    public required int ReflectorHeader { get; init; }

    /// <summary>Octets covered by the HMAC and the cipher: sender / reflector (RFC 4656 §4.1.2, RFC 5357 §4.2.1).</summary>
    public required int SenderProtected { get; init; }
    public required int ReflectorProtected { get; init; }

    public const int HmacLength = 16;
    public const int SequenceNumber = 0;

    /// <summary>Padding the sender adds so that both directions carry packets of equal size (RFC 5357 §4.2.1, RFC 6038 §4.2).</summary>
    public int SymmetricPadding => ReflectorHeader - SenderHeader;

    public static readonly TestPacketLayout Unauthenticated = new()
    {
        Security = TestSecurity.Unauthenticated,
        SenderTimestamp = 4, SenderErrorEstimate = 12, SenderHmac = -1, SenderHeader = 14,
        ReflectorTimestamp = 4, ReflectorErrorEstimate = 12, ReceiveTimestamp = 16, SenderSequence = 24,
        CopiedSenderTimestamp = 28, CopiedSenderErrorEstimate = 36, SenderTtl = 40, ReflectorHmac = -1,
        ReflectorHeader = 41, SenderProtected = 0, ReflectorProtected = 0,
    };

    public static readonly TestPacketLayout Authenticated = Secure(TestSecurity.Authenticated, 16, 16);
    public static readonly TestPacketLayout Encrypted = Secure(TestSecurity.Encrypted, 32, 96);

    /// <summary>RFC 7750 Figure 2: unauthenticated reflector with S-DSCP-ECN at 41, MBZ 42-43, padding from 44.</summary>
    public static readonly TestPacketLayout UnauthenticatedDscpEcn = WithDscpEcn(Unauthenticated, 41, 44);
    /// <summary>RFC 7750 Figure 3: S-DSCP-ECN at 81, inside the former MBZ; sizes unchanged.</summary>
    public static readonly TestPacketLayout AuthenticatedDscpEcn = WithDscpEcn(Authenticated, 81, 112);
    public static readonly TestPacketLayout EncryptedDscpEcn = WithDscpEcn(Encrypted, 81, 112);

    static TestPacketLayout WithDscpEcn(TestPacketLayout l, int offset, int reflectorHeader) => new()
    {
        Security = l.Security,
        SenderTimestamp = l.SenderTimestamp, SenderErrorEstimate = l.SenderErrorEstimate, SenderHmac = l.SenderHmac, SenderHeader = l.SenderHeader,
        ReflectorTimestamp = l.ReflectorTimestamp, ReflectorErrorEstimate = l.ReflectorErrorEstimate, ReceiveTimestamp = l.ReceiveTimestamp,
        SenderSequence = l.SenderSequence, CopiedSenderTimestamp = l.CopiedSenderTimestamp, CopiedSenderErrorEstimate = l.CopiedSenderErrorEstimate,
        SenderTtl = l.SenderTtl, SenderDscpEcn = offset, ReflectorHmac = l.ReflectorHmac, ReflectorHeader = reflectorHeader,
        SenderProtected = l.SenderProtected, ReflectorProtected = l.ReflectorProtected,
    };

    static TestPacketLayout Secure(TestSecurity security, int senderProtected, int reflectorProtected) => new()
    {
        Security = security,
        SenderTimestamp = 16, SenderErrorEstimate = 24, SenderHmac = 32, SenderHeader = 48,
        ReflectorTimestamp = 16, ReflectorErrorEstimate = 24, ReceiveTimestamp = 32, SenderSequence = 48,
        CopiedSenderTimestamp = 64, CopiedSenderErrorEstimate = 72, SenderTtl = 80, ReflectorHmac = 96,
        ReflectorHeader = 112, SenderProtected = senderProtected, ReflectorProtected = reflectorProtected,
    };

    public static TestPacketLayout For(TestSecurity security) => security switch
    {
        TestSecurity.Authenticated => Authenticated,
        TestSecurity.Encrypted => Encrypted,
        _ => Unauthenticated,
    };

    public static TestPacketLayout For(TwampModes mode) => (mode.TestSecurity(), mode.HasDscpEcnMonitoring()) switch
    {
        (TestSecurity.Authenticated, true) => AuthenticatedDscpEcn,
        (TestSecurity.Encrypted, true) => EncryptedDscpEcn,
        (_, true) => UnauthenticatedDscpEcn,
        (var security, false) => For(security),
    };
}
