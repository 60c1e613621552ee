using System.Security.Cryptography;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// Protection of TWAMP-Test packets in authenticated (2) and encrypted (4) modes
/// (RFC 4656 §4.1.2, RFC 5357 §4.1.2 and §4.2.1). One instance per session; it owns the per-SID keys:
/// <list type="bullet">
/// <item>test AES key = AES-ECB(key = SID) of the control AES Session-key;</item>
/// <item>test HMAC key = AES-CBC(key = SID, IV = 0) of the 32-octet control HMAC Session-key;</item>
/// <item>the same pair protects sender and reflector packets.</item>
/// </list>
/// Mode 2: the first block is ECB-encrypted; the HMAC covers octets 0-15 only. Mode 4: the sender's
/// octets 0-31 / the reflector's 0-95 are CBC-encrypted with a zero IV restarted for every packet,
/// the HMAC covers the same plaintext. HMAC over plaintext first, then encrypt; the HMAC field and
/// the padding are never encrypted. Not thread-safe; allocates nothing per packet.
/// </summary>
public sealed class TestPacketCrypto : IDisposable
{
    const int Block = 16;
    readonly Aes _aes;
    readonly IncrementalHash _hmac;
    readonly TestPacketLayout _layout;

    public TestPacketCrypto(SessionKeys controlKeys, ReadOnlySpan<byte> sid, TestSecurity security)
    {
        if (security == TestSecurity.Unauthenticated) throw new ArgumentException("no test crypto in unauthenticated formats", nameof(security));
        _layout = TestPacketLayout.For(security);
        var (aesKey, hmacKey) = DeriveKeys(controlKeys, sid);
        _aes = Aes.Create();
        _aes.Key = aesKey;
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, hmacKey);
        CryptographicOperations.ZeroMemory(aesKey);
        CryptographicOperations.ZeroMemory(hmacKey);
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
        ComputeHmac(region, packet.Slice(hmacOffset, TestPacketLayout.HmacLength));
        if (_layout.Security == TestSecurity.Authenticated) _aes.EncryptEcb(region[..Block], region[..Block], PaddingMode.None);
        else _aes.EncryptCbc(region, ZeroIv, region, PaddingMode.None);
    }

    bool Unprotect(Span<byte> packet, int protectedLength, int hmacOffset)
    {
        if (packet.Length < hmacOffset + TestPacketLayout.HmacLength) return false;
        var region = packet[..protectedLength];
        if (_layout.Security == TestSecurity.Authenticated) _aes.DecryptEcb(region[..Block], region[..Block], PaddingMode.None);
        else _aes.DecryptCbc(region, ZeroIv, region, PaddingMode.None);
        Span<byte> expected = stackalloc byte[TestPacketLayout.HmacLength];
        ComputeHmac(region, expected);
        return CryptographicOperations.FixedTimeEquals(expected, packet.Slice(hmacOffset, TestPacketLayout.HmacLength));
    }

    void ComputeHmac(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        Span<byte> full = stackalloc byte[20];
        _hmac.AppendData(data);
        _hmac.GetHashAndReset(full);
        full[..TestPacketLayout.HmacLength].CopyTo(destination);
    }

    static ReadOnlySpan<byte> ZeroIv => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public void Dispose()
    {
        _aes.Dispose();
        _hmac.Dispose();
    }
}
