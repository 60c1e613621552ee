using System.Runtime.InteropServices;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// Comparison of a received 16-octet HMAC field with the expected one (RFC 4656 §4.1.2, RFC 5357 §4.1.2:
/// HMAC-SHA1 truncated to 128 bits) in time independent of their contents: each is read as two 64-bit
/// words, the XORs of the pairs are ORed together and the one result compared with zero — no early exit,
/// no branch on the data, only on the lengths, which are public. It replaces
/// <see cref="System.Security.Cryptography.CryptographicOperations.FixedTimeEquals"/> on the per-packet
/// path, which is compiled without optimisation (a byte loop behind a call) for any length.
/// </summary>
internal static class ConstantTimeTag
{
    public const int Length = 16;

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> are both 16 octets and equal.</summary>
    public static bool Equal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != Length || b.Length != Length) return false;
        ulong difference = (MemoryMarshal.Read<ulong>(a) ^ MemoryMarshal.Read<ulong>(b))
            | (MemoryMarshal.Read<ulong>(a[8..]) ^ MemoryMarshal.Read<ulong>(b[8..]));
        return difference == 0;
    }
}
