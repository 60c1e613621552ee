using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Time;

namespace TwampProbe.Sessions;

/// <summary>
/// Whether a test packet's timestamp is written before or after its protection, per mode, so that the
/// clock is read as late as the format allows ("as close as possible to the actual transmission",
/// RFC 4656 §4.1.2; RFC 5357 §4.2.1 for the reflector):
/// <list type="bullet">
/// <item>Unauthenticated (mode 1) and mixed (mode 8: unauthenticated test packets, RFC 5618 §4): nothing
/// is protected; the timestamp is the last write.</item>
/// <item>Authenticated (mode 2): only octets 0-15 (Sequence Number and MBZ) are ECB-encrypted and HMACed
/// (RFC 4656 §4.1.2; RFC 5357 §4.2.1: "the sequence number can be encrypted before the timestamp is
/// fetched"); the Timestamp (16-23) and Error Estimate (24-25) are in clear and outside the HMAC:
/// protect first, stamp after.</item>
/// <item>Encrypted (mode 4): the Timestamp lies in the CBC-encrypted, HMACed part (sender 0-31, reflector
/// 0-95): stamp, then protect (RFC 5357 §4.2.1: "the reflector MUST fetch the timestamps, generate the
/// HMAC, and encrypt the packet, then send it"; RFC 4656 §4.1.2 for the sender).</item>
/// </list>
/// </summary>
public static class TimestampOrder
{
    /// <summary>True when the packet is protected before its timestamp is read (mode 2 only).</summary>
    public static bool ProtectsFirst(TestPacketCrypto? crypto) => crypto is { Security: TestSecurity.Authenticated };

    /// <summary>
    /// Writes the Session-Sender packet's Error Estimate and T1 and protects it, in the order its mode
    /// allows. Returns T1 (Unix nanoseconds). Allocates nothing.
    /// </summary>
    public static long StampSender(Span<byte> packet, TestPacketLayout layout, TestPacketCrypto? crypto, ErrorEstimate estimate, IClock clock)
    {
        var view = new SenderPacket(packet, layout);
        if (ProtectsFirst(crypto))
        {
            crypto!.ProtectSender(packet);
            view.ErrorEstimate = estimate;
            long t1 = clock.UnixNanoseconds;
            view.Timestamp = NtpTimestamp.FromUnixNanoseconds(t1);
            return t1;
        }
        view.ErrorEstimate = estimate;
        long t = clock.UnixNanoseconds;
        view.Timestamp = NtpTimestamp.FromUnixNanoseconds(t);
        crypto?.ProtectSender(packet);
        return t;
    }
}
