using System.Security.Cryptography;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Protocol.Crypto;

/// <summary>One known-answer check of <see cref="CryptoSelfTest"/>.</summary>
public readonly record struct SelfTestResult(string Name, bool Passed);

/// <summary>
/// Known-answer checks of the per-packet crypto, run inside the shipped binary (<c>twampprobe self-test</c>)
/// so that the code a board really executes — its AES and SHA-1 instructions, or the fallbacks — is held
/// to the standards' vectors: NIST SP 800-38A F.1.1/F.1.2/F.2.1/F.2.2 (AES-128 ECB and CBC), RFC 2202 §3
/// test cases 1-7 (HMAC-SHA1), and the first sender and reflector packets of the golden captures twamp_A
/// (mode 2) and twamp_E (mode 4), unprotected and protected again byte for byte.
/// </summary>
public static class CryptoSelfTest
{
    /// <summary>What the per-packet path runs on this CPU, e.g. "AES: x86 AES-NI; SHA-1: portable C#".</summary>
    public static string Implementation => Describe(CryptoImplementation.Auto);

    internal static string Describe(CryptoImplementation implementation) =>
        $"AES: {Aes128.Describe(implementation)}; SHA-1: {Sha1Compression.Describe(implementation)}";

    /// <summary>Every check through the code this CPU uses, then through the fallbacks where those differ.</summary>
    public static IReadOnlyList<SelfTestResult> Run()
    {
        var results = new List<SelfTestResult>();
        Run(CryptoImplementation.Auto, "", results);
        if (Describe(CryptoImplementation.Auto) != Describe(CryptoImplementation.Fallback)) Run(CryptoImplementation.Fallback, "fallback ", results);
        return results;
    }

    internal static void Run(CryptoImplementation implementation, string prefix, List<SelfTestResult> results)
    {
        void Check(string name, Func<bool> check)
        {
            bool ok;
            try { ok = check(); }
            catch (CryptographicException) { ok = false; }
            results.Add(new SelfTestResult(prefix + name, ok));
        }

        Check("SP 800-38A F.1.1 AES-128 ECB encrypt", () => Aes(implementation, Sp800Plain, a => b => a.EncryptEcb(b)) == Sp800Ecb);
        Check("SP 800-38A F.1.2 AES-128 ECB decrypt", () => Aes(implementation, Sp800Ecb, a => b => a.DecryptEcb(b)) == Sp800Plain);
        Check("SP 800-38A F.2.1 AES-128 CBC encrypt", () => Aes(implementation, Sp800Plain, a => b => a.EncryptCbc(b, Convert.FromHexString(Sp800Iv))) == Sp800Cbc);
        Check("SP 800-38A F.2.2 AES-128 CBC decrypt", () => Aes(implementation, Sp800Cbc, a => b => a.DecryptCbc(b, Convert.FromHexString(Sp800Iv))) == Sp800Plain);
        foreach (var (n, key, data, mac) in Rfc2202)
            Check($"RFC 2202 HMAC-SHA1 test case {n}", () =>
            {
                using var hmac = new HmacSha1(key, implementation);
                var digest = new byte[HmacSha1.HashSize];
                hmac.Compute(data, digest);
                return Convert.ToHexStringLower(digest) == mac;
            });
        Check("twamp_A (mode 2) sender and reflector packets", () => Capture(implementation, TestSecurity.Authenticated, TwampAAesKey, TwampAHmacKey, TwampASender, TwampAReflector, TwampASenderPlain));
        Check("twamp_E (mode 4) sender and reflector packets", () => Capture(implementation, TestSecurity.Encrypted, TwampEAesKey, TwampEHmacKey, TwampESender, TwampEReflector, TwampESenderPlain));
    }

    static string Aes(CryptoImplementation implementation, string input, Func<Aes128, Action<byte[]>> operation)
    {
        using var aes = Aes128.Create(Convert.FromHexString(Sp800Key), implementation);
        byte[] buffer = Convert.FromHexString(input);
        operation(aes)(buffer);
        return Convert.ToHexStringLower(buffer);
    }

    /// <summary>Unprotect both captured packets, compare the sender's plaintext, protect both again: the wire bytes.</summary>
    static bool Capture(CryptoImplementation implementation, TestSecurity security, string aesKey, string hmacKey, string sender, string reflector, string senderPlain)
    {
        using var crypto = new TestPacketCrypto(Convert.FromHexString(aesKey), Convert.FromHexString(hmacKey), security, implementation);
        byte[] s = Convert.FromHexString(sender), r = Convert.FromHexString(reflector);
        if (!crypto.UnprotectSender(s) || !crypto.UnprotectReflector(r)) return false;
        if (!Convert.ToHexStringLower(s).StartsWith(senderPlain, StringComparison.Ordinal)) return false;
        crypto.ProtectSender(s);
        crypto.ProtectReflector(r);
        return Convert.ToHexStringLower(s) == sender && Convert.ToHexStringLower(r) == reflector;
    }

    // NIST SP 800-38A Appendix F (AES-128): the four-block example of F.1.1/F.1.2 (ECB) and F.2.1/F.2.2 (CBC).
    const string Sp800Key = "2b7e151628aed2a6abf7158809cf4f3c";
    const string Sp800Iv = "000102030405060708090a0b0c0d0e0f";
    const string Sp800Plain = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
    const string Sp800Ecb = "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4";
    const string Sp800Cbc = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7";

    /// <summary>RFC 2202 §3, test cases 1-7 (6 and 7: an 80-octet key, hashed first).</summary>
    internal static readonly (int Case, byte[] Key, byte[] Data, string Mac)[] Rfc2202 =
    [
        (1, Repeat(0x0b, 20), "Hi There"u8.ToArray(), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (2, "Jefe"u8.ToArray(), "what do ya want for nothing?"u8.ToArray(), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        (3, Repeat(0xaa, 20), Repeat(0xdd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        (4, Convert.FromHexString("0102030405060708090a0b0c0d0e0f10111213141516171819"), Repeat(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        (5, Repeat(0x0c, 20), "Test With Truncation"u8.ToArray(), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
        (6, Repeat(0xaa, 80), "Test Using Larger Than Block-Size Key - Hash Key First"u8.ToArray(), "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        (7, Repeat(0xaa, 80), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"u8.ToArray(), "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
    ];

    static byte[] Repeat(byte value, int count) => Enumerable.Repeat(value, count).ToArray();

    // tests/fixtures/captures/twamp_A.pcapng frames 14 and 15; per-SID test keys from PROTOCOL.md §13.
    const string TwampAAesKey = "5e7a40b21f66df9b713979b92cd92df7";
    const string TwampAHmacKey = "fbaaf094fe4fdc2c113cbea08634d0ad86d4d24fd6aa20e6a9ad3abbcf98200d";
    const string TwampASender = "22968daa7966522ff729bcdda508b6c1eead9549021c8a7a000100000000000042aff4bbf4420b8429f3c0d7c9bfb58cc3e48a95441fc07c06d6b659585844d9b7cc7045cd6d090439d6779a6adeeea002e8e5e33ac7cf77677bfc3310682540866370c78ab15bad5e8824b48a257f5e";
    const string TwampAReflector = "22968daa7966522ff729bcdda508b6c1eead95490228997c0001000000000000eead954902269164000000000000000000000000000000000000000000000000eead9549021c8a7a0001000000000000ff00000000000000000000000000000042aff4bbf4420b8429f3c0d7c9bfb58c";
    const string TwampASenderPlain = "00000000000000000000000000000000";

    // tests/fixtures/captures/twamp_E.pcapng frames 14 and 15; per-SID test keys from PROTOCOL.md §13.
    const string TwampEAesKey = "ada1f10a562d8e002283454c14c2f4dc";
    const string TwampEHmacKey = "18371f82eea4d3953dea0ab1386a52adc03c76f9120337ea1fb8c0c424478e97";
    const string TwampESender = "ef7e8a4d274b2d33809bf0d2054a7ecba4606d0d87057ddf836a6d875c8069310d7fbab1acfbdd916cf38229269fc14418f17735f7be7f6247389078a58bff964778e3ffef0f76e4c284833b826b7dd393db6fe5383b747c93178b8ca65ad2c9625fbf2276c03c64ac590747f6ea86c4";
    const string TwampEReflector = "ef7e8a4d274b2d33809bf0d2054a7ecb94487133808f377da4c863075b1e3c3bf7f6152ab13f9e64936a2a15018c5e8d6bb153cedc388bcb43b2bcece9cea4597a5a555977fc3118ef54e4ed23cfeaa5d01c49e376638bf2c1a6d7de2581573cd9c5265e539cba392a7e70d873fef542";
    const string TwampESenderPlain = "00000000000000000000000000000000eead9555b4e757920001000000000000";
}
