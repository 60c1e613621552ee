using System.Security.Cryptography;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// The two session keys a Control-Client chooses and sends in the Token (RFC 4656 §3.1):
/// a 16-octet AES Session-key and a 32-octet HMAC Session-key.
/// </summary>
public sealed class SessionKeys : IDisposable
{
    public const int AesKeyLength = 16;
    public const int HmacKeyLength = 32;

    public byte[] AesKey { get; }
    public byte[] HmacKey { get; }

    public SessionKeys(byte[] aesKey, byte[] hmacKey)
    {
        if (aesKey.Length != AesKeyLength || hmacKey.Length != HmacKeyLength) throw new ArgumentException("session keys are 16 + 32 octets");
        AesKey = aesKey;
        HmacKey = hmacKey;
    }

    public static SessionKeys CreateRandom() =>
        new(RandomNumberGenerator.GetBytes(AesKeyLength), RandomNumberGenerator.GetBytes(HmacKeyLength));

    /// <summary>Key material is zeroed when a session ends.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(AesKey);
        CryptographicOperations.ZeroMemory(HmacKey);
    }
}
