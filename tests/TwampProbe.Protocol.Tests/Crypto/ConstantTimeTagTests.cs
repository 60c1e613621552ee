using TwampProbe.Protocol.Crypto;
using Xunit;

namespace TwampProbe.Protocol.Tests.Crypto;

/// <summary>The per-packet 16-octet HMAC field comparison (<see cref="ConstantTimeTag"/>).</summary>
public class ConstantTimeTagTests
{
    static byte[] Tag() => Enumerable.Range(0, 16).Select(i => (byte)(0x91 * i + 7)).ToArray();

    [Fact]
    public void EqualTagsAreEqual()
    {
        Assert.True(ConstantTimeTag.Equal(Tag(), Tag()));
        Assert.True(ConstantTimeTag.Equal(new byte[16], new byte[16]));
    }

    [Fact]
    public void EveryTagDifferingInOneBitOfOneOctetIsUnequal()
    {
        for (int octet = 0; octet < 16; octet++)
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] received = Tag();
                received[octet] ^= (byte)(1 << bit);
                Assert.False(ConstantTimeTag.Equal(Tag(), received), $"octet {octet} bit {bit}");
                Assert.False(ConstantTimeTag.Equal(received, Tag()), $"octet {octet} bit {bit}");
            }
    }

    [Theory]
    [InlineData(0, 16)]
    [InlineData(15, 16)]
    [InlineData(16, 15)]
    [InlineData(17, 16)]
    [InlineData(20, 20)]
    public void AnythingButTwo16OctetTagsIsUnequal(int a, int b)
    {
        // Equal contents as far as both go: only the length makes them unequal.
        byte[] x = new byte[a], y = new byte[b];
        Assert.False(ConstantTimeTag.Equal(x, y));
    }
}
