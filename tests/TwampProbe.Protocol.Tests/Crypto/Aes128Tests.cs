using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using TwampProbe.Protocol.Crypto;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;
using ArmAes = System.Runtime.Intrinsics.Arm.Aes;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace TwampProbe.Protocol.Tests.Crypto;

/// <summary>
/// The per-packet AES-128 (<see cref="Aes128"/>): NIST SP 800-38A vectors and randomized cross-checks
/// against the BCL, each through the CPU-instruction path and the forced BCL fallback.
/// </summary>
public class Aes128Tests
{
    // NIST SP 800-38A F.1.1/F.1.2 (ECB-AES128) and F.2.1/F.2.2 (CBC-AES128).
    static readonly byte[] Key = B("2b7e151628aed2a6abf7158809cf4f3c");
    static readonly byte[] Iv = B("000102030405060708090a0b0c0d0e0f");
    static readonly byte[] Plain = B("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710");
    static readonly byte[] Ecb = B("3ad77bb40d7a3660a89ecaf32466ef97 f5d3d58503b9699de785895a96fdbaaf 43b1cd7f598ece23881b00e3ed030688 7b0c785e27e8ad3f8223207104725dd4");
    static readonly byte[] Cbc = B("7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2 73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7");

    static CryptoImplementation Impl(bool fallback) => fallback ? CryptoImplementation.Fallback : CryptoImplementation.Auto;

    static string Run(bool fallback, byte[] input, Action<Aes128, byte[]> operation)
    {
        using var aes = Aes128.Create(Key, Impl(fallback));
        byte[] buffer = input.ToArray();
        operation(aes, buffer);
        return H(buffer);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EcbEncryptMatchesSp800_38AF11(bool fallback) => Assert.Equal(H(Ecb), Run(fallback, Plain, (a, b) => a.EncryptEcb(b)));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EcbDecryptMatchesSp800_38AF12(bool fallback) => Assert.Equal(H(Plain), Run(fallback, Ecb, (a, b) => a.DecryptEcb(b)));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CbcEncryptMatchesSp800_38AF21(bool fallback) => Assert.Equal(H(Cbc), Run(fallback, Plain, (a, b) => a.EncryptCbc(b, Iv)));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CbcDecryptMatchesSp800_38AF22(bool fallback) => Assert.Equal(H(Plain), Run(fallback, Cbc, (a, b) => a.DecryptCbc(b, Iv)));

    [Fact]
    public void AutoUsesTheCpuAesInstructionsWhenPresent()
    {
        using var aes = Aes128.Create(Key);
        if (X86Aes.IsSupported) Assert.IsType<Aes128Hardware<X86AesRounds>>(aes);
        else if (ArmAes.IsSupported) Assert.IsType<Aes128Hardware<ArmAesRounds>>(aes);
        else Assert.IsType<Aes128Bcl>(aes);
        using var fallback = Aes128.Create(Key, CryptoImplementation.Fallback);
        Assert.IsType<Aes128Bcl>(fallback);
    }

    /// <summary>
    /// CBC decryption of every run of 0-13 blocks against the BCL: the hardware path decrypts four blocks
    /// side by side, then two, then one, so this covers each grouping and the chain across groups.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CbcDecryptOfEveryBlockCountUpTo13MatchesTheBcl(bool fallback)
    {
        var rng = new Random(3805);
        byte[] key = new byte[16], iv = new byte[16];
        rng.NextBytes(key);
        rng.NextBytes(iv);
        using var reference = Aes.Create();
        reference.Key = key;
        using var aes = Aes128.Create(key, Impl(fallback));
        for (int blocks = 0; blocks <= 13; blocks++)
        {
            byte[] ciphertext = new byte[16 * blocks];
            rng.NextBytes(ciphertext);
            byte[] b = ciphertext.ToArray();
            aes.DecryptCbc(b, iv);
            Assert.Equal(H(reference.DecryptCbc(ciphertext, iv, PaddingMode.None)), H(b));
        }
    }

    /// <summary>
    /// Random keys, IVs and lengths (0-12 blocks, some past the fallback's 128-octet scratch), many calls on
    /// one instance each (the fallback's CBC transform chains on from call to call), against the BCL one-shots.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomizedEcbAndCbcMatchTheBcl(bool fallback)
    {
        var rng = new Random(20261201);
        for (int k = 0; k < 20; k++)
        {
            byte[] key = new byte[16];
            rng.NextBytes(key);
            using var reference = Aes.Create();
            reference.Key = key;
            using var aes = Aes128.Create(key, Impl(fallback));
            for (int i = 0; i < 30; i++)
            {
                byte[] data = new byte[16 * rng.Next(0, 13)], iv = new byte[16];
                rng.NextBytes(data);
                rng.NextBytes(iv);
                byte[] b = data.ToArray();
                aes.EncryptEcb(b);
                Assert.Equal(H(reference.EncryptEcb(data, PaddingMode.None)), H(b));
                aes.DecryptEcb(b);
                Assert.Equal(H(data), H(b));
                aes.EncryptCbc(b, iv);
                Assert.Equal(H(reference.EncryptCbc(data, iv, PaddingMode.None)), H(b));
                aes.DecryptCbc(b, iv);
                Assert.Equal(H(data), H(b));
            }
        }
    }

    [Theory]
    [InlineData(false, 15)]
    [InlineData(false, 17)]
    [InlineData(true, 15)]
    [InlineData(true, 33)]
    public void PartialBlocksAreRefused(bool fallback, int length)
    {
        using var aes = Aes128.Create(Key, Impl(fallback));
        Assert.Throws<ArgumentException>(() => aes.EncryptEcb(new byte[length]));
        Assert.Throws<ArgumentException>(() => aes.DecryptCbc(new byte[length], Iv));
    }

    [Theory]
    [InlineData(15)]
    [InlineData(24)]
    public void KeysOtherThan128BitsAreRefused(int length) =>
        Assert.Throws<ArgumentException>(() => Aes128.Create(new byte[length]));

    [Fact]
    public void DisposeZeroesTheRoundKeysAndLaterUseThrows()
    {
        if (!Aes128.HardwareSupported) return; // the BCL path's key lives in OpenSSL, freed by its Dispose
        var aes = Aes128.Create(Key);
        var fields = aes.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic)
            .Where(f => f.FieldType == typeof(Vector128<byte>[])).Select(f => (Vector128<byte>[])f.GetValue(aes)!).ToArray();
        Assert.Equal(2, fields.Length);
        Assert.All(fields, keys => Assert.Contains(MemoryMarshal.AsBytes(keys.AsSpan()).ToArray(), b => b != 0));
        aes.Dispose();
        Assert.All(fields, keys => Assert.All(MemoryMarshal.AsBytes(keys.AsSpan()).ToArray(), b => Assert.Equal(0, b)));
        Assert.Throws<ObjectDisposedException>(() => aes.EncryptEcb(new byte[16]));
    }

    [Fact]
    public void DisposedFallbackThrowsInsteadOfEncrypting()
    {
        var aes = Aes128.Create(Key, CryptoImplementation.Fallback);
        aes.Dispose();
        Assert.Throws<ObjectDisposedException>(() => aes.EncryptCbc(new byte[16], Iv));
    }
}
