using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TwampProbe.Linux.Crypto;
using Xunit;

namespace TwampProbe.Linux.Tests.Crypto;

/// <summary>
/// OpenSSL's SHA-1 compression over one or more blocks per call against the FIPS 180-2 Appendix A examples
/// and the BCL's SHA-1.
/// </summary>
public sealed class OpenSslSha1Tests
{
    static string Sha1(string message) => Sha1(Encoding.ASCII.GetBytes(message), blocksPerCall: 1);

    /// <summary>FIPS 180-4 §5.1.1 padding, then compression from the §5.3.1 initial state, <paramref name="blocksPerCall"/> blocks at a time.</summary>
    static string Sha1(byte[] m, int blocksPerCall)
    {
        int blocks = (m.Length + 8) / 64 + 1;
        byte[] padded = new byte[blocks * 64];
        m.CopyTo(padded, 0);
        padded[m.Length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(padded.AsSpan(padded.Length - 8), (ulong)m.Length * 8);
        uint[] h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
        for (int b = 0; b < blocks; b += blocksPerCall) OpenSslSha1.Compress(h, padded.AsSpan(b * 64, Math.Min(blocksPerCall, blocks - b) * 64));
        return string.Concat(h.Select(w => w.ToString("x8")));
    }

    [Fact]
    public void LibcryptoOnThisSystemExportsSha1Transform() => Assert.True(OpenSslSha1.IsAvailable);

    [Fact]
    public void OneBlockMessageAbcMatchesFips180Example() =>
        Assert.Equal("a9993e364706816aba3e25717850c26c9cd0d89d", Sha1("abc"));

    [Fact]
    public void TwoBlockMessageMatchesFips180Example() =>
        Assert.Equal("84983e441c3bd26ebaae4aa1f95129e5e54670f1", Sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));

    [Fact]
    public void TwoBlockMessageInOneCallMatchesFips180Example() =>
        Assert.Equal("84983e441c3bd26ebaae4aa1f95129e5e54670f1", Sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"u8.ToArray(), blocksPerCall: 2));

    /// <summary>Random messages of 0-247 octets (1-4 padded blocks), all blocks in one call and one block per call.</summary>
    [Fact]
    public void RandomMessagesOfOneToFourBlocksMatchTheBcl()
    {
        var rng = new Random(1802);
        for (int length = 0; length < 4 * 64 - 8; length++)
        {
            byte[] m = new byte[length];
            rng.NextBytes(m);
            string expected = Convert.ToHexStringLower(SHA1.HashData(m));
            Assert.Equal(expected, Sha1(m, blocksPerCall: 4));
            Assert.Equal(expected, Sha1(m, blocksPerCall: 1));
        }
    }

    [Fact]
    public void PartialBlockEmptyInputOrShortStateIsRefused()
    {
        Assert.Throws<ArgumentException>(() => OpenSslSha1.Compress(new uint[5], new byte[63]));
        Assert.Throws<ArgumentException>(() => OpenSslSha1.Compress(new uint[5], new byte[65]));
        Assert.Throws<ArgumentException>(() => OpenSslSha1.Compress(new uint[5], new byte[127]));
        Assert.Throws<ArgumentException>(() => OpenSslSha1.Compress(new uint[5], []));
        Assert.Throws<ArgumentException>(() => OpenSslSha1.Compress(new uint[4], new byte[64]));
    }
}
