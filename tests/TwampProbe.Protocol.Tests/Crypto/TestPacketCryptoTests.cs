using System.Security.Cryptography;
using TwampProbe.Protocol.Tests.Support;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Protocol.Tests.Crypto;

public class TestPacketCryptoTests
{
    static readonly byte[] SpKey = B("2b7e151628aed2a6abf7158809cf4f3c");
    static readonly byte[] P1 = B("6bc1bee22e409f96e93d7e117393172a");
    static readonly byte[] P2 = B("ae2d8a571e03ac9c9eb76fac45af8e51");
    static readonly byte[] HmacKey00To1F = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    /// <summary>Each of the four per-packet operations, 1000 times per mode and path: not one octet allocated.</summary>
    [Theory]
    [MemberData(nameof(CryptoPaths.ProtectedModesOnBothPaths), MemberType = typeof(CryptoPaths))]
    public void ProtectingAndVerifyingPacketsAllocatesNothing(TestSecurity security, bool fallback)
    {
        var layout = TestPacketLayout.For(security);
        using var crypto = new TestPacketCrypto(SpKey, HmacKey00To1F, security, CryptoPaths.Implementation(fallback));
        byte[] sender = new byte[layout.SenderHeader], reflector = new byte[layout.ReflectorHeader];
        byte[] senderWire = new byte[sender.Length], reflectorWire = new byte[reflector.Length];
        void Round()
        {
            crypto.ProtectSender(sender);
            sender.CopyTo(senderWire, 0);
            Assert.True(crypto.UnprotectSender(sender));
            crypto.ProtectReflector(reflector);
            reflector.CopyTo(reflectorWire, 0);
            Assert.True(crypto.UnprotectReflector(reflector));
        }
        Round(); // first use: lazily initialised statics
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Round();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void DerivedKeysMatchTwampACaptureValues()
    {
        // PROTOCOL.md §13.
        using var keys = new SessionKeys(B("fc63576e5be122e91c9b05b17d6f614a"), B("85aeec0618216b7f20eef056684d2d253a5ce1640463143069c42791e32d653f"));
        var (aes, hmac) = TestPacketCrypto.DeriveKeys(keys, B("7f000001eead9547bea71583444ed3a0"));
        Assert.Equal("5e7a40b21f66df9b713979b92cd92df7", H(aes));
        Assert.Equal("fbaaf094fe4fdc2c113cbea08634d0ad86d4d24fd6aa20e6a9ad3abbcf98200d", H(hmac));
    }

    [Fact]
    public void DeriveKeysIsEcbAndCbcWithZeroIvUnderTheSid()
    {
        // SID = SP 800-38A key. AES key = ECB(P1) = F.1.1 block 1. HMAC key = CBC(IV 0) of (P1 xor F.2.1 IV) ‖ P2
        // = CBC(IV 00..0f) of P1 ‖ P2 = F.2.1 blocks 1-2.
        byte[] firstBlock = P1.Select((b, i) => (byte)(b ^ i)).ToArray();
        using var keys = new SessionKeys(P1.ToArray(), [.. firstBlock, .. P2]);
        var (aes, hmac) = TestPacketCrypto.DeriveKeys(keys, SpKey);
        Assert.Equal("3ad77bb40d7a3660a89ecaf32466ef97", H(aes));
        Assert.Equal("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2", H(hmac));
    }

    /// <summary>Control keys chosen so that the derived test keys are the SP 800-38A key and 00..1f.</summary>
    static SessionKeys KeysDerivingToKnownTestKeys(byte[] sid)
    {
        using var bySid = Aes.Create();
        bySid.Key = sid;
        return new SessionKeys(bySid.DecryptEcb(SpKey, PaddingMode.None), bySid.DecryptCbc(HmacKey00To1F, new byte[16], PaddingMode.None));
    }

    static readonly byte[] Sid = B("7f000001eead9547bea71583444ed3a0");

    [Fact]
    public void AuthenticatedSenderPacketEncryptsBlockOneWithEcbAndHmacsOctets0To15()
    {
        using var crypto = new TestPacketCrypto(KeysDerivingToKnownTestKeys(Sid), Sid, TestSecurity.Authenticated);
        byte[] packet = new byte[48 + 8];
        P1.CopyTo(packet, 0);
        P2.CopyTo(packet, 16); // clear part of the header: neither encrypted nor authenticated in mode 2
        packet[^1] = 0x5a;
        crypto.ProtectSender(packet);
        Assert.Equal("3ad77bb40d7a3660a89ecaf32466ef97", H(packet.AsSpan(0, 16)));
        Assert.Equal(H(P2), H(packet.AsSpan(16, 16)));
        Assert.Equal("b584d99ff372b1ad653f11c0387f4a42", H(packet.AsSpan(32, 16))); // HMAC-SHA1(00..1f, P1)[0..16]
        Assert.Equal(0x5a, packet[^1]);
    }

    [Fact]
    public void EncryptedSenderPacketEncryptsOctets0To31WithCbcZeroIv()
    {
        using var crypto = new TestPacketCrypto(KeysDerivingToKnownTestKeys(Sid), Sid, TestSecurity.Encrypted);
        byte[] firstBlock = P1.Select((b, i) => (byte)(b ^ i)).ToArray();
        byte[] packet = new byte[48];
        firstBlock.CopyTo(packet, 0);
        P2.CopyTo(packet, 16);
        crypto.ProtectSender(packet);
        Assert.Equal("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2", H(packet.AsSpan(0, 32)));
        Assert.Equal("c2a74f6fe09458942a65a01ea32fbb52", H(packet.AsSpan(32, 16)));
    }

    [Theory]
    [InlineData(TestSecurity.Authenticated)]
    [InlineData(TestSecurity.Encrypted)]
    public void ProtectedReflectorPacketUnprotectsToTheOriginal(TestSecurity security)
    {
        using var crypto = new TestPacketCrypto(KeysDerivingToKnownTestKeys(Sid), Sid, security);
        byte[] plain = new byte[112 + 5];
        new Random(7).NextBytes(plain);
        plain.AsSpan(96, 16).Clear();
        byte[] packet = plain.ToArray();
        crypto.ProtectReflector(packet);
        Assert.NotEqual(H(plain.AsSpan(0, 16)), H(packet.AsSpan(0, 16)));
        Assert.True(crypto.UnprotectReflector(packet));
        Assert.Equal(H(plain.AsSpan(0, 96)), H(packet.AsSpan(0, 96)));
    }

    [Theory]
    [InlineData(TestSecurity.Authenticated, 0)]
    [InlineData(TestSecurity.Authenticated, 40)]
    [InlineData(TestSecurity.Encrypted, 20)]
    [InlineData(TestSecurity.Encrypted, 47)]
    public void TamperedSenderPacketIsRejected(TestSecurity security, int offset)
    {
        using var crypto = new TestPacketCrypto(KeysDerivingToKnownTestKeys(Sid), Sid, security);
        byte[] packet = new byte[48];
        packet[3] = 9;
        crypto.ProtectSender(packet);
        packet[offset] ^= 0x04;
        Assert.False(crypto.UnprotectSender(packet));
    }

    [Fact]
    public void ModeTwoIgnoresChangesOutsideBlockOne()
    {
        // Mode 2 authenticates octets 0-15 only (PROTOCOL.md §7.3): a changed timestamp still verifies.
        using var crypto = new TestPacketCrypto(KeysDerivingToKnownTestKeys(Sid), Sid, TestSecurity.Authenticated);
        byte[] packet = new byte[48];
        crypto.ProtectSender(packet);
        packet[20] ^= 0xff;
        Assert.True(crypto.UnprotectSender(packet));
    }

    [Theory]
    [InlineData(47)]
    [InlineData(0)]
    public void TooShortSenderPacketIsRejected(int length)
    {
        using var crypto = new TestPacketCrypto(KeysDerivingToKnownTestKeys(Sid), Sid, TestSecurity.Encrypted);
        Assert.False(crypto.UnprotectSender(new byte[length]));
    }

    [Fact]
    public void UnauthenticatedSecurityHasNoTestCrypto() =>
        Assert.Throws<ArgumentException>(() => new TestPacketCrypto(KeysDerivingToKnownTestKeys(Sid), Sid, TestSecurity.Unauthenticated));
}
