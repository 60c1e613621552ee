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
/// </summary>
public sealed class TestPacketCrypto : IDisposable
{
    const int Block = 16;
    readonly Aes _aes;
    readonly ICryptoTransform _encrypt;
    readonly ICryptoTransform _decrypt;
    readonly IncrementalHash _hmac;
    readonly TestPacketLayout _layout;
    // The one-shot Aes.EncryptEcb/EncryptCbc allocate per call; cached ECB transforms over a scratch
    // buffer do not, so the reflector's hot path stays allocation-free in modes 2 and 4.
    readonly byte[] _in = new byte[96];
    readonly byte[] _out = new byte[96];

    public TestPacketCrypto(SessionKeys controlKeys, ReadOnlySpan<byte> sid, TestSecurity security)
    {
        if (security == TestSecurity.Unauthenticated) throw new ArgumentException("no test crypto in unauthenticated formats", nameof(security));
        _layout = TestPacketLayout.For(security);
        var (aesKey, hmacKey) = DeriveKeys(controlKeys, sid);
        _aes = Aes.Create();
        _aes.Key = aesKey;
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _encrypt = _aes.CreateEncryptor();
        _decrypt = _aes.CreateDecryptor();
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
        if (_layout.Security == TestSecurity.Authenticated) Ecb(_encrypt, region[..Block]);
        else EncryptCbcZeroIv(region);
    }

    /// <summary>ECB over whole blocks in place (mode 2: the first block only).</summary>
    void Ecb(ICryptoTransform transform, Span<byte> blocks)
    {
        blocks.CopyTo(_in);
        transform.TransformBlock(_in, 0, blocks.Length, _out, 0);
        _out.AsSpan(0, blocks.Length).CopyTo(blocks);
    }

    /// <summary>CBC with a zero IV restarted per packet (mode 4): C_i = E(P_i ⊕ C_i−1), C_−1 = 0.</summary>
    void EncryptCbcZeroIv(Span<byte> region)
    {
        Span<byte> chain = stackalloc byte[Block];
        chain.Clear();
        for (int off = 0; off < region.Length; off += Block)
        {
            var block = region.Slice(off, Block);
            for (int i = 0; i < Block; i++) _in[i] = (byte)(block[i] ^ chain[i]);
            _encrypt.TransformBlock(_in, 0, Block, _out, 0);
            _out.AsSpan(0, Block).CopyTo(block);
            block.CopyTo(chain);
        }
    }

    /// <summary>P_i = D(C_i) ⊕ C_i−1, C_−1 = 0.</summary>
    void DecryptCbcZeroIv(Span<byte> region)
    {
        Span<byte> previous = stackalloc byte[Block];
        Span<byte> current = stackalloc byte[Block];
        previous.Clear();
        for (int off = 0; off < region.Length; off += Block)
        {
            var block = region.Slice(off, Block);
            block.CopyTo(current);
            block.CopyTo(_in);
            _decrypt.TransformBlock(_in, 0, Block, _out, 0);
            for (int i = 0; i < Block; i++) block[i] = (byte)(_out[i] ^ previous[i]);
            current.CopyTo(previous);
        }
    }

    bool Unprotect(Span<byte> packet, int protectedLength, int hmacOffset)
    {
        if (packet.Length < hmacOffset + TestPacketLayout.HmacLength) return false;
        var region = packet[..protectedLength];
        if (_layout.Security == TestSecurity.Authenticated) Ecb(_decrypt, region[..Block]);
        else DecryptCbcZeroIv(region);
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

    public void Dispose()
    {
        _encrypt.Dispose();
        _decrypt.Dispose();
        CryptographicOperations.ZeroMemory(_in);
        CryptographicOperations.ZeroMemory(_out);
        _aes.Dispose();
        _hmac.Dispose();
    }
}
