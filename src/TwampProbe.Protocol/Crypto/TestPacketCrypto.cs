using System.Security.Cryptography;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// Protection of TWAMP-Test packets in authenticated (2) and encrypted (4) modes
/// (RFC 4656 §4.1.2, RFC 5357 §4.1.2 and §4.2.1). One instance per session and per thread (the sender has
/// one for its send loop and one for its receive thread); each owns its copy of the per-SID keys:
/// <list type="bullet">
/// <item>test AES key = AES-ECB(key = SID) of the control AES Session-key;</item>
/// <item>test HMAC key = AES-CBC(key = SID, IV = 0) of the 32-octet control HMAC Session-key;</item>
/// <item>the same pair protects sender and reflector packets.</item>
/// </list>
/// Mode 2: the first block is ECB-encrypted; the HMAC covers octets 0-15 only. Mode 4: the sender's
/// octets 0-31 / the reflector's 0-95 are CBC-encrypted with a zero IV restarted for every packet,
/// the HMAC covers the same plaintext. HMAC over plaintext first, then encrypt; the HMAC field and
/// the padding are never encrypted. Not thread-safe; allocates nothing per packet.
/// The per-packet work is the cipher and hash themselves: AES-128 on the CPU's AES instructions with the
/// key schedule expanded here, once (<see cref="Aes128"/>; BCL fallback), and HMAC-SHA1 from inner and
/// outer midstates computed here, once (<see cref="HmacSha1"/>). Dispose zeroes all of it.
/// </summary>
public sealed class TestPacketCrypto : IDisposable
{
    const int Block = 16;
    static ReadOnlySpan<byte> ZeroIv => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    readonly Aes128 _aes;
    readonly HmacSha1 _hmac;
    readonly TestPacketLayout _layout;

    public TestPacketCrypto(SessionKeys controlKeys, ReadOnlySpan<byte> sid, TestSecurity security)
        : this(controlKeys, sid, security, CryptoImplementation.Auto)
    {
    }

    internal TestPacketCrypto(SessionKeys controlKeys, ReadOnlySpan<byte> sid, TestSecurity security, CryptoImplementation implementation)
    {
        if (security == TestSecurity.Unauthenticated) throw new ArgumentException("no test crypto in unauthenticated formats", nameof(security));
        var (aesKey, hmacKey) = DeriveKeys(controlKeys, sid);
        try
        {
            _layout = TestPacketLayout.For(security);
            _aes = Aes128.Create(aesKey, implementation);
            _hmac = new HmacSha1(hmacKey, implementation);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(aesKey);
            CryptographicOperations.ZeroMemory(hmacKey);
        }
    }

    /// <summary>From the per-SID test keys themselves (known-answer tests and the self-test).</summary>
    internal TestPacketCrypto(ReadOnlySpan<byte> testAesKey, ReadOnlySpan<byte> testHmacKey, TestSecurity security, CryptoImplementation implementation)
    {
        if (security == TestSecurity.Unauthenticated) throw new ArgumentException("no test crypto in unauthenticated formats", nameof(security));
        _layout = TestPacketLayout.For(security);
        _aes = Aes128.Create(testAesKey, implementation);
        _hmac = new HmacSha1(testHmacKey, implementation);
    }

    public TestSecurity Security => _layout.Security;

    /// <summary>The per-SID test keys (RFC 4656 §4.1.2, RFC 5357 §4.1.2).</summary>
    public static (byte[] AesKey, byte[] HmacKey) DeriveKeys(SessionKeys controlKeys, ReadOnlySpan<byte> sid)
    {
        using var bySid = Aes.Create();
        bySid.Key = sid[..16].ToArray();
        var aesKey = bySid.EncryptEcb(controlKeys.AesKey, PaddingMode.None);
        var hmacKey = bySid.EncryptCbc(controlKeys.HmacKey, new byte[Block], PaddingMode.None);
        return (aesKey, hmacKey);
    }

    /// <summary>Writes the HMAC and encrypts a Session-Sender packet in place.</summary>
    public void ProtectSender(Span<byte> packet) => Protect(packet, _layout.SenderProtected, _layout.SenderHmac);

    /// <summary>Writes the HMAC and encrypts a Session-Reflector packet in place.</summary>
    public void ProtectReflector(Span<byte> packet) => Protect(packet, _layout.ReflectorProtected, _layout.ReflectorHmac);

    /// <summary>Decrypts a Session-Sender packet in place and checks its HMAC. False: discard it (RFC 4656 §4.2).</summary>
    public bool UnprotectSender(Span<byte> packet) => Unprotect(packet, _layout.SenderProtected, _layout.SenderHmac);

    /// <summary>Decrypts a Session-Reflector packet in place and checks its HMAC.</summary>
    public bool UnprotectReflector(Span<byte> packet) => Unprotect(packet, _layout.ReflectorProtected, _layout.ReflectorHmac);

    void Protect(Span<byte> packet, int protectedLength, int hmacOffset)
    {
        var region = packet[..protectedLength];
        _hmac.Compute(region, packet.Slice(hmacOffset, TestPacketLayout.HmacLength));
        // Mode 2: ECB of the first block only. Mode 4: CBC with a zero IV restarted for every packet.
        if (_layout.Security == TestSecurity.Authenticated) _aes.EncryptEcb(region[..Block]);
        else _aes.EncryptCbc(region, ZeroIv);
    }

    bool Unprotect(Span<byte> packet, int protectedLength, int hmacOffset)
    {
        if (packet.Length < hmacOffset + TestPacketLayout.HmacLength) return false;
        var region = packet[..protectedLength];
        if (_layout.Security == TestSecurity.Authenticated) _aes.DecryptEcb(region[..Block]);
        else _aes.DecryptCbc(region, ZeroIv);
        return _hmac.Verify(region, packet.Slice(hmacOffset, TestPacketLayout.HmacLength));
    }

    /// <summary>Zeroes the key schedule and the HMAC midstates (the session has ended).</summary>
    public void Dispose()
    {
        _aes.Dispose();
        _hmac.Dispose();
    }
}
