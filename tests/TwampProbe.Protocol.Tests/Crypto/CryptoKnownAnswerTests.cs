using System.Security.Cryptography;
using System.Text;
using TwampProbe.Protocol.Crypto;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Crypto;

/// <summary>Known-answer tests from the standards' own vectors (RFC 6070, RFC 2202, NIST SP 800-38A).</summary>
public class CryptoKnownAnswerTests
{
    // NIST SP 800-38A F.1.1 / F.2.1 (AES-128).
    static readonly byte[] SpKey = B("2b7e151628aed2a6abf7158809cf4f3c");
    static readonly byte[] SpIv = B("000102030405060708090a0b0c0d0e0f");
    static readonly byte[] SpPlain = B("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710");
    static readonly byte[] SpEcb = B("3ad77bb40d7a3660a89ecaf32466ef97 f5d3d58503b9699de785895a96fdbaaf 43b1cd7f598ece23881b00e3ed030688 7b0c785e27e8ad3f8223207104725dd4");
    static readonly byte[] SpCbc = B("7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2 73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7");

    // RFC 6070 (dkLen 20/25/16); SharedSecret.DeriveKey has dkLen 16 = the first 16 octets of DK.
    [Theory]
    [InlineData("password", "salt", 1u, "0c60c80f961f0e71f3a9b524af6012062fe037a6")]
    [InlineData("password", "salt", 2u, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")]
    [InlineData("password", "salt", 4096u, "4b007901b765489abead49d926f721d065a429c1")]
    [InlineData("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096u, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038")]
    [InlineData("pass\0word", "sa\0lt", 4096u, "56fa6aa75548099dcc37d7f03425e0c3")]
    public void DeriveKeyMatchesRfc6070Pbkdf2HmacSha1(string password, string salt, uint count, string dk)
    {
        byte[] key = SharedSecret.DeriveKey(Encoding.ASCII.GetBytes(password), Encoding.ASCII.GetBytes(salt), count);
        Assert.Equal(dk[..32], H(key));
    }

    [Fact]
    public void DeriveKeyRejectsZeroCount() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedSecret.DeriveKey("p"u8, "s"u8, 0));

    [Theory]
    [InlineData(1024u, null)]
    [InlineData(2048u, null)]
    [InlineData(32768u, null)]
    [InlineData(512u, "minimum")]
    [InlineData(3072u, "power of 2")]
    [InlineData(65536u, "maximum")]
    public void CheckCountEnforcesPowerOfTwoMinimumAndMaximum(uint count, string? reasonContains)
    {
        string? reason = SharedSecret.CheckCount(count);
        if (reasonContains is null) Assert.Null(reason);
        else Assert.Contains(reasonContains, reason);
    }

    // RFC 2202 §3 HMAC-SHA1 test cases 1-7: pins the primitive (IncrementalHash HMAC-SHA1) the library uses.
    public static TheoryData<int, byte[], byte[], string> Rfc2202 => new()
    {
        { 1, Enumerable.Repeat((byte)0x0b, 20).ToArray(), "Hi There"u8.ToArray(), "b617318655057264e28bc0b6fb378c8ef146be00" },
        { 2, "Jefe"u8.ToArray(), "what do ya want for nothing?"u8.ToArray(), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
        { 3, Enumerable.Repeat((byte)0xaa, 20).ToArray(), Enumerable.Repeat((byte)0xdd, 50).ToArray(), "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
        { 4, Enumerable.Range(1, 25).Select(i => (byte)i).ToArray(), Enumerable.Repeat((byte)0xcd, 50).ToArray(), "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
        { 5, Enumerable.Repeat((byte)0x0c, 20).ToArray(), "Test With Truncation"u8.ToArray(), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
        { 6, Enumerable.Repeat((byte)0xaa, 80).ToArray(), "Test Using Larger Than Block-Size Key - Hash Key First"u8.ToArray(), "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
        { 7, Enumerable.Repeat((byte)0xaa, 80).ToArray(), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"u8.ToArray(), "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
    };

    [Theory]
    [MemberData(nameof(Rfc2202))]
    public void IncrementalHmacSha1MatchesRfc2202(int testCase, byte[] key, byte[] data, string digest)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key);
        hmac.AppendData(data.AsSpan(0, data.Length / 2));
        hmac.AppendData(data.AsSpan(data.Length / 2));
        _ = testCase; // names the RFC case in the test display
        Assert.Equal(digest, H(hmac.GetHashAndReset()));
    }

    [Fact]
    public void AesEcbMatchesSp800_38AF11()
    {
        using var aes = Aes.Create();
        aes.Key = SpKey;
        Assert.Equal(H(SpEcb), H(aes.EncryptEcb(SpPlain, PaddingMode.None)));
    }

    static SessionKeys KeysWithSpAesKey() => new(SpKey.ToArray(), Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void ControlCipherEncryptMatchesSp800_38AF21Cbc()
    {
        using var enc = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        byte[] buf = SpPlain.ToArray();
        enc.Encrypt(buf);
        Assert.Equal(H(SpCbc), H(buf));
    }

    [Fact]
    public void ControlCipherDecryptMatchesSp800_38AF22Cbc()
    {
        using var dec = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        byte[] buf = SpCbc.ToArray();
        dec.Decrypt(buf);
        Assert.Equal(H(SpPlain), H(buf));
    }

    [Fact]
    public void ControlCipherEncryptChainsAcrossMessages()
    {
        // RFC 4656 §3.4: one CBC stream per direction; message 2 continues from the last ciphertext block of message 1.
        using var enc = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        byte[] first = SpPlain[..32], second = SpPlain[32..];
        enc.Encrypt(first);
        enc.Encrypt(second);
        Assert.Equal(H(SpCbc), H([.. first, .. second]));
    }

    [Fact]
    public void ControlCipherDecryptChainsAcrossMessages()
    {
        using var dec = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        byte[] first = SpCbc[..16], second = SpCbc[16..48], third = SpCbc[48..];
        dec.Decrypt(first);
        dec.Decrypt(second);
        dec.Decrypt(third);
        Assert.Equal(H(SpPlain), H([.. first, .. second, .. third]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(17)]
    public void ControlCipherRejectsPartialBlocks(int length)
    {
        using var enc = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        Assert.Throws<ArgumentException>(() => enc.Encrypt(new byte[length]));
    }

    [Fact]
    public void ControlCipherHmacIsFirst16OctetsOfHmacSha1WithThe32OctetKey()
    {
        // Expected: HMAC-SHA1(key 00..1f, "authenticated control bytes" x3)[0..16], computed independently.
        using var c = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        byte[] data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("authenticated control bytes", 3)));
        c.Authenticate(data.AsSpan(0, 10));
        c.Authenticate(data.AsSpan(10));
        byte[] mac = new byte[16];
        c.WriteHmac(mac);
        Assert.Equal("547393756762d18d285cea86ac5d3b9b", H(mac));
    }

    [Fact]
    public void ControlCipherHmacResetsAfterEachHmacField()
    {
        using var c = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        c.Authenticate("something earlier"u8);
        c.WriteHmac(new byte[16]);
        byte[] data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("authenticated control bytes", 3)));
        c.Authenticate(data);
        byte[] mac = new byte[16];
        c.WriteHmac(mac);
        Assert.Equal("547393756762d18d285cea86ac5d3b9b", H(mac));
    }

    [Fact]
    public void ControlCipherVerifyHmacAcceptsOwnHmacAndRejectsAFlippedBit()
    {
        using var tx = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        using var rx = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        using var rx2 = ControlCipher.Create(KeysWithSpAesKey(), SpIv);
        byte[] msg = new byte[32];
        msg[0] = 2;
        tx.SealWithHmac(msg);
        byte[] good = msg.ToArray(), bad = msg.ToArray();
        bad[31] ^= 0x01;
        rx.Decrypt(good);
        rx.Authenticate(good.AsSpan(0, 16));
        Assert.True(rx.VerifyHmac(good.AsSpan(16)));
        rx2.Decrypt(bad);
        rx2.Authenticate(bad.AsSpan(0, 16));
        Assert.False(rx2.VerifyHmac(bad.AsSpan(16)));
    }

    [Fact]
    public void UnauthenticatedControlCipherLeavesBytesClearAndWritesZeroHmac()
    {
        using var none = ControlCipher.None();
        byte[] msg = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        none.SealWithHmac(msg);
        Assert.False(none.IsSecure);
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (byte)i), msg[..16]);
        Assert.All(msg[16..], b => Assert.Equal(0, b));
    }
}
