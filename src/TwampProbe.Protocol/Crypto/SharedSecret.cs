using System.Security.Cryptography;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Protocol.Crypto;

/// <summary>Key derivation from the shared secret (RFC 4656 §3.1).</summary>
public static class SharedSecret
{
    /// <summary>
    /// K = PBKDF2 (PKCS #5 v2) with HMAC-SHA1 over the pass-phrase octets, the greeting's Salt and
    /// Count, dkLen = 16: the AES key that encrypts the Token (RFC 4656 §3.1).
    /// </summary>
    public static byte[] DeriveKey(ReadOnlySpan<byte> passphrase, ReadOnlySpan<byte> salt, uint count)
    {
        if (count == 0 || count > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(count));
        return Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, (int)count, HashAlgorithmName.SHA1, 16);
    }

    /// <summary>
    /// Checks a greeting's Count as a client: RFC 4656 §3.1 requires a power of 2 of at least 1024;
    /// RFC 5357 §6 says a client SHOULD refuse one above its configured maximum (default 32768)
    /// rather than spend unbounded CPU on PBKDF2. Returns the reason, or null when acceptable.
    /// </summary>
    public static string? CheckCount(uint count, uint maximum = ServerGreeting.DefaultMaximumCount)
    {
        if (count < ServerGreeting.MinimumCount) return $"Count {count} is below the minimum 1024 (RFC 4656 §3.1)";
        if ((count & (count - 1)) != 0) return $"Count {count} is not a power of 2 (RFC 4656 §3.1)";
        if (count > maximum) return $"Count {count} is above the configured maximum {maximum} (RFC 5357 §6)";
        return null;
    }
}
