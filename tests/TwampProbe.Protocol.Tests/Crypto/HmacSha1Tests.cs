using System.Reflection;
using System.Security.Cryptography;
using TwampProbe.Protocol.Crypto;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Crypto;

/// <summary>
/// HMAC-SHA1 from precomputed midstates (<see cref="HmacSha1"/>): RFC 2202 and randomized cross-checks
/// against the BCL, through the CPU's SHA-1 instructions (where present) and the portable compression.
/// </summary>
public class HmacSha1Tests
{
    static CryptoImplementation Impl(bool fallback) => fallback ? CryptoImplementation.Fallback : CryptoImplementation.Auto;

    public static TheoryData<int, bool> Rfc2202Cases()
    {
        var data = new TheoryData<int, bool>();
        for (int i = 1; i <= 7; i++)
        {
            data.Add(i, false);
            data.Add(i, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Rfc2202Cases))]
    public void MatchesRfc2202(int testCase, bool fallback)
    {
        var (_, key, data, mac) = CryptoSelfTest.Rfc2202[testCase - 1];
        using var hmac = new HmacSha1(key, Impl(fallback));
        byte[] digest = new byte[20];
        hmac.Compute(data, digest);
        Assert.Equal(mac, H(digest));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rfc2202Case2TruncatedTo128BitsIsItsFirst16Octets(bool fallback)
    {
        using var hmac = new HmacSha1("Jefe"u8, Impl(fallback));
        byte[] digest = new byte[16];
        hmac.Compute("what do ya want for nothing?"u8, digest);
        Assert.Equal("effcdf6ae5eb2fa2d27416d5f184df9c", H(digest));
    }

    /// <summary>Every message length 0-300 (all padding boundaries: 55, 56, 63, 64, 119, 120 …), random keys of 0-100 octets.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomizedMessagesAndKeysMatchTheBcl(bool fallback)
    {
        var rng = new Random(2202);
        for (int length = 0; length <= 300; length++)
        {
            byte[] key = new byte[rng.Next(0, 101)], data = new byte[length];
            rng.NextBytes(key);
            rng.NextBytes(data);
            using var hmac = new HmacSha1(key, Impl(fallback));
            byte[] digest = new byte[20];
            hmac.Compute(data, digest);
            Assert.Equal(H(HMACSHA1.HashData(key, data)), H(digest));
            hmac.Compute(data, digest); // the midstates are not consumed by a computation
            Assert.Equal(H(HMACSHA1.HashData(key, data)), H(digest));
        }
    }

    /// <summary>
    /// One instance, messages whose lengths alternate and change (it keeps the padding of two lengths at a
    /// time): every HMAC still matches the BCL's.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MessagesOfAlternatingAndChangingLengthsMatchTheBcl(bool fallback)
    {
        var rng = new Random(2104);
        byte[] key = new byte[32];
        rng.NextBytes(key);
        using var hmac = new HmacSha1(key, Impl(fallback));
        int[] lengths = [32, 96, 32, 96, 16, 96, 16, 32, 55, 56, 55, 63, 64, 119, 120, 32, 200, 96, 0, 0, 96];
        foreach (int length in lengths.Concat(Enumerable.Range(0, 200).Select(_ => rng.Next(0, 3) switch { 0 => 16, 1 => 32, _ => rng.Next(0, 260) })))
        {
            byte[] data = new byte[length], digest = new byte[20];
            rng.NextBytes(data);
            hmac.Compute(data, digest);
            Assert.Equal(H(HMACSHA1.HashData(key, data)), H(digest));
        }
    }

    /// <summary>The per-packet check: the received 16-octet field against the truncated HMAC of the plaintext.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VerifyAcceptsTheTruncatedHmacAndRefusesAnyOtherTag(bool fallback)
    {
        var rng = new Random(5357);
        byte[] key = new byte[32];
        rng.NextBytes(key);
        using var hmac = new HmacSha1(key, Impl(fallback));
        foreach (int length in new[] { 0, 16, 32, 96, 119, 120, 200 })
        {
            byte[] data = new byte[length];
            rng.NextBytes(data);
            byte[] tag = HMACSHA1.HashData(key, data).AsSpan(0, 16).ToArray();
            Assert.True(hmac.Verify(data, tag));
            for (int i = 0; i < 16; i++)
            {
                byte[] wrong = tag.ToArray();
                wrong[i] ^= 0x01;
                Assert.False(hmac.Verify(data, wrong), $"length {length} octet {i}");
            }
            Assert.False(hmac.Verify(data, tag.AsSpan(0, 15)));
            Assert.False(hmac.Verify(data, HMACSHA1.HashData(key, data)));
        }
    }

    [Fact]
    public void DisposeZeroesTheMidstatesAndLaterUseThrows()
    {
        var hmac = new HmacSha1(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var states = typeof(HmacSha1).GetFields(BindingFlags.Instance | BindingFlags.NonPublic)
            .Where(f => f.FieldType == typeof(uint[])).Select(f => (uint[])f.GetValue(hmac)!).ToArray();
        Assert.Equal(2, states.Length);
        Assert.All(states, s => Assert.Contains(s, w => w != 0));
        hmac.Dispose();
        Assert.All(states, s => Assert.All(s, w => Assert.Equal(0u, w)));
        Assert.Throws<ObjectDisposedException>(() => hmac.Compute("x"u8, new byte[16]));
        Assert.Throws<ObjectDisposedException>(() => hmac.Verify("x"u8, new byte[16]));
    }
}
