using System.Security.Cryptography;
using TwampProbe.Protocol.Tests.Support;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Protocol.Tests.Crypto;

/// <summary>
/// TestPacketCrypto through the CPU-instruction path and the fallback path, against a reference written
/// with the BCL's one-shots straight from RFC 4656 §4.1.2 / RFC 5357 §4.2.1, and the self-test's checks.
/// </summary>
public class TestPacketCryptoPathTests
{
    /// <summary>HMAC-SHA1 truncated to 16 over the protected region, then ECB of block 1 (mode 2) or CBC with IV 0 (mode 4).</summary>
    static byte[] ReferenceProtect(byte[] aesKey, byte[] hmacKey, TestSecurity security, byte[] packet, int protectedLength, int hmacOffset)
    {
        byte[] p = packet.ToArray();
        HMACSHA1.HashData(hmacKey, p.AsSpan(0, protectedLength)).AsSpan(0, 16).CopyTo(p.AsSpan(hmacOffset));
        using var aes = Aes.Create();
        aes.Key = aesKey;
        if (security == TestSecurity.Authenticated) aes.EncryptEcb(p.AsSpan(0, 16), p.AsSpan(0, 16), PaddingMode.None);
        else aes.EncryptCbc(p.AsSpan(0, protectedLength), new byte[16], p.AsSpan(0, protectedLength), PaddingMode.None);
        return p;
    }

    [Theory]
    [MemberData(nameof(CryptoPaths.ProtectedModesOnBothPaths), MemberType = typeof(CryptoPaths))]
    public void RandomizedPacketsMatchTheReferenceAndRoundTrip(TestSecurity security, bool fallback)
    {
        var rng = new Random(4656);
        var layout = TestPacketLayout.For(security);
        for (int session = 0; session < 10; session++)
        {
            byte[] aesKey = new byte[16], hmacKey = new byte[32];
            rng.NextBytes(aesKey);
            rng.NextBytes(hmacKey);
            using var crypto = new TestPacketCrypto(aesKey, hmacKey, security, CryptoPaths.Implementation(fallback));
            for (int i = 0; i < 50; i++)
            {
                byte[] sender = new byte[layout.SenderHeader + rng.Next(0, 80)], reflector = new byte[layout.ReflectorHeader + rng.Next(0, 80)];
                rng.NextBytes(sender);
                rng.NextBytes(reflector);
                byte[] s = sender.ToArray(), r = reflector.ToArray();
                crypto.ProtectSender(s);
                crypto.ProtectReflector(r);
                Assert.Equal(H(ReferenceProtect(aesKey, hmacKey, security, sender, layout.SenderProtected, layout.SenderHmac)), H(s));
                Assert.Equal(H(ReferenceProtect(aesKey, hmacKey, security, reflector, layout.ReflectorProtected, layout.ReflectorHmac)), H(r));
                Assert.True(crypto.UnprotectSender(s));
                Assert.True(crypto.UnprotectReflector(r));
                Assert.Equal(H(sender.AsSpan(0, layout.SenderProtected)), H(s.AsSpan(0, layout.SenderProtected)));
                Assert.Equal(H(reflector.AsSpan(0, layout.ReflectorProtected)), H(r.AsSpan(0, layout.ReflectorProtected)));
            }
        }
    }

    [Theory]
    [InlineData(TestSecurity.Authenticated)]
    [InlineData(TestSecurity.Encrypted)]
    public void BothPathsReadEachOthersPackets(TestSecurity security)
    {
        using var keys = SessionKeys.CreateRandom();
        byte[] sid = RandomNumberGenerator.GetBytes(16);
        using var fast = new TestPacketCrypto(keys, sid, security, CryptoImplementation.Auto);
        using var slow = new TestPacketCrypto(keys, sid, security, CryptoImplementation.Fallback);
        var layout = TestPacketLayout.For(security);
        byte[] packet = RandomNumberGenerator.GetBytes(layout.ReflectorHeader);
        byte[] a = packet.ToArray(), b = packet.ToArray();
        fast.ProtectReflector(a);
        slow.ProtectReflector(b);
        Assert.Equal(H(a), H(b));
        Assert.True(slow.UnprotectReflector(a));
        Assert.True(fast.UnprotectReflector(b));
    }

    [Fact]
    public void SelfTestPassesEveryCheckOnBothPaths()
    {
        var results = CryptoSelfTest.Run();
        Assert.All(results, r => Assert.True(r.Passed, r.Name));
        // 4 SP 800-38A + 7 RFC 2202 + 2 golden captures, and again through the fallbacks where this CPU runs other code.
        bool different = CryptoSelfTest.Describe(CryptoImplementation.Auto) != CryptoSelfTest.Describe(CryptoImplementation.Fallback);
        Assert.Equal(different ? 26 : 13, results.Count);
        var fallback = new List<SelfTestResult>();
        CryptoSelfTest.Run(CryptoImplementation.Fallback, "", fallback);
        Assert.All(fallback, r => Assert.True(r.Passed, r.Name));
        Assert.Contains(results, r => r.Name == "twamp_E (mode 4) sender and reflector packets");
    }

    [Fact]
    public void DisposedTestPacketCryptoRefusesToProtect()
    {
        var crypto = new TestPacketCrypto(new byte[16], new byte[32], TestSecurity.Encrypted, CryptoImplementation.Auto);
        crypto.Dispose();
        Assert.Throws<ObjectDisposedException>(() => crypto.ProtectReflector(new byte[112]));
    }
}
