using System.Security.Cryptography;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// The Set-Up-Response Token (RFC 4656 §3.1): AES-128-CBC with key K and a zero IV over
/// Challenge (16) ‖ AES Session-key (16) ‖ HMAC Session-key (32) = 64 octets.
/// </summary>
public static class Token
{
    public const int Length = 64;

    public static byte[] Create(byte[] key, ReadOnlySpan<byte> challenge, SessionKeys keys)
    {
        Span<byte> plain = stackalloc byte[Length];
        challenge[..16].CopyTo(plain);
        keys.AesKey.CopyTo(plain[16..]);
        keys.HmacKey.CopyTo(plain[32..]);
        using var aes = Aes.Create();
        aes.Key = key;
        var token = aes.EncryptCbc(plain, stackalloc byte[16], PaddingMode.None);
        CryptographicOperations.ZeroMemory(plain);
        return token;
    }

    /// <summary>
    /// Decrypts a Token. Returns the session keys when its first block equals the server's
    /// Challenge (compared in constant time), else null.
    /// </summary>
    public static SessionKeys? Open(byte[] key, ReadOnlySpan<byte> token, ReadOnlySpan<byte> challenge)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        Span<byte> plain = stackalloc byte[Length];
        aes.DecryptCbc(token[..Length], stackalloc byte[16], plain, PaddingMode.None);
        bool ok = CryptographicOperations.FixedTimeEquals(plain[..16], challenge[..16]);
        var keys = ok ? new SessionKeys(plain.Slice(16, 16).ToArray(), plain.Slice(32, 32).ToArray()) : null;
        CryptographicOperations.ZeroMemory(plain);
        return keys;
    }
}
