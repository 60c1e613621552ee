using System.Security.Cryptography;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// One direction of an authenticated/encrypted TWAMP-Control connection (RFC 4656 §3.2, §3.4):
/// <list type="bullet">
/// <item>AES-128-CBC with the AES Session-key. The stream is one CBC chain for the whole
/// connection: the IV of a message is the last ciphertext block sent in that direction, starting
/// from the Client-IV / Server-IV ("the IV ... is the last block of the previous message").</item>
/// <item>HMAC-SHA1 keyed with the HMAC Session-key, truncated to 128 bits, over the plaintext
/// sent in this direction since the previous HMAC field (RFC 4656 §3.2, RFC 5357 §3.2) — so the
/// server's first HMAC also covers Server-Start octets 32-47.</item>
/// </list>
/// In unauthenticated mode (no keys) every operation is a no-op and HMAC fields are zero (MBZ).
/// </summary>
public sealed class ControlCipher : IDisposable
{
    public const int BlockSize = 16;
    public const int HmacLength = 16;

    readonly Aes? _aes;
    readonly IncrementalHash? _hmac;
    readonly byte[] _iv = new byte[BlockSize];

    ControlCipher(SessionKeys? keys, ReadOnlySpan<byte> iv)
    {
        if (keys is null) return;
        _aes = Aes.Create();
        _aes.Key = keys.AesKey;
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, keys.HmacKey);
        iv[..BlockSize].CopyTo(_iv);
    }

    /// <summary>A direction with no security (mode 1).</summary>
    public static ControlCipher None() => new(null, default);

    public static ControlCipher Create(SessionKeys keys, ReadOnlySpan<byte> iv) => new(keys, iv);

    public bool IsSecure => _aes is not null;

    /// <summary>Adds plaintext to the running HMAC of this direction.</summary>
    public void Authenticate(ReadOnlySpan<byte> plaintext) => _hmac?.AppendData(plaintext);

    /// <summary>Writes the truncated HMAC of everything authenticated since the last HMAC, then resets it.</summary>
    public void WriteHmac(Span<byte> destination)
    {
        if (_hmac is null) { destination[..HmacLength].Clear(); return; }
        Span<byte> full = stackalloc byte[20];
        _hmac.GetHashAndReset(full);
        full[..HmacLength].CopyTo(destination);
    }

    /// <summary>Checks a received HMAC field (constant time); resets the running HMAC.</summary>
    public bool VerifyHmac(ReadOnlySpan<byte> received)
    {
        if (_hmac is null) return true; // mode 1: MBZ, receivers ignore it (RFC 4656 §3.1)
        Span<byte> full = stackalloc byte[20];
        _hmac.GetHashAndReset(full);
        return CryptographicOperations.FixedTimeEquals(full[..HmacLength], received[..HmacLength]);
    }

    /// <summary>Encrypts whole blocks in place, continuing this direction's CBC chain.</summary>
    public void Encrypt(Span<byte> blocks)
    {
        if (_aes is null) return;
        CheckBlocks(blocks);
        _aes.EncryptCbc(blocks, _iv, blocks, PaddingMode.None);
        blocks[^BlockSize..].CopyTo(_iv);
    }

    /// <summary>Decrypts whole blocks in place, continuing this direction's CBC chain.</summary>
    public void Decrypt(Span<byte> blocks)
    {
        if (_aes is null) return;
        CheckBlocks(blocks);
        Span<byte> nextIv = stackalloc byte[BlockSize];
        blocks[^BlockSize..].CopyTo(nextIv);
        _aes.DecryptCbc(blocks, _iv, blocks, PaddingMode.None);
        nextIv.CopyTo(_iv);
    }

    /// <summary>
    /// Seals an outgoing message whose last 16 octets are its HMAC field: authenticate the body,
    /// write the HMAC, then encrypt the whole message (HMAC included, RFC 5357 §3.2).
    /// </summary>
    public void SealWithHmac(Span<byte> message)
    {
        Authenticate(message[..^HmacLength]);
        WriteHmac(message[^HmacLength..]);
        Encrypt(message);
    }

    static void CheckBlocks(Span<byte> blocks)
    {
        if (blocks.Length == 0 || blocks.Length % BlockSize != 0) throw new ArgumentException("control messages are whole 16-octet blocks");
    }

    public void Dispose()
    {
        _aes?.Dispose();
        _hmac?.Dispose();
        CryptographicOperations.ZeroMemory(_iv);
    }
}
