using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace TwampProbe.Protocol.Wire;

/// <summary>
/// SID, 16 octets (RFC 4656 §3.5): an IPv4 address of the receiving host (or the last 4 octets of
/// an IPv6 one), an NTP timestamp and 4 random octets. Peers treat it as opaque.
/// </summary>
public static class SessionId
{
    public const int Length = 16;

    public static byte[] Create(IPAddress receiver, NtpTimestamp now)
    {
        var sid = new byte[Length];
        Span<byte> addr = stackalloc byte[16];
        receiver.TryWriteBytes(addr, out int written);
        addr.Slice(written - 4, 4).CopyTo(sid);
        now.Write(sid.AsSpan(4));
        RandomNumberGenerator.Fill(sid.AsSpan(12, 4));
        return sid;
    }

    public static string ToHex(ReadOnlySpan<byte> sid) => Convert.ToHexString(sid).ToLowerInvariant();
}
