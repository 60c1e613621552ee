using System.Buffers.Binary;
using System.Text;
using TwampProbe.Linux.Crypto;
using Xunit;

namespace TwampProbe.Linux.Tests.Crypto;

/// <summary>OpenSSL's one-block SHA-1 compression against the FIPS 180-2 Appendix A examples.</summary>
public sealed class OpenSslSha1Tests
{
    static string Sha1(string message)
    {
        // FIPS 180-4 §5.1.1 padding, then one compression per 64-octet block from the §5.3.1 initial state.
        byte[] m = Encoding.ASCII.GetBytes(message);
        int blocks = (m.Length + 8) / 64 + 1;
        byte[] padded = new byte[blocks * 64];
        m.CopyTo(padded, 0);
        padded[m.Length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(padded.AsSpan(padded.Length - 8), (ulong)m.Length * 8);
        uint[] h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
        for (int b = 0; b < blocks; b++) OpenSslSha1.Compress(h, padded.AsSpan(b * 64, 64));
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
    public void ShortBlockOrStateIsRefused()
    {
        Assert.Throws<ArgumentException>(() => OpenSslSha1.Compress(new uint[5], new byte[63]));
        Assert.Throws<ArgumentException>(() => OpenSslSha1.Compress(new uint[4], new byte[64]));
    }
}
