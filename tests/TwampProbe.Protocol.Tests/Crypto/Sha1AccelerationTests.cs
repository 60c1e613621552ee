using TwampProbe.Protocol.Crypto;
using Xunit;

namespace TwampProbe.Protocol.Tests.Crypto;

/// <summary>
/// The executable's native SHA-1 compression hand-over (<see cref="Sha1Acceleration"/>): only a function
/// that computes SHA-1 is accepted. One class touches the process-wide registration, and only with
/// functions that compute SHA-1 correctly, so tests running alongside are unaffected.
/// </summary>
[Collection(nameof(Sha1AccelerationTests))]
public class Sha1AccelerationTests
{
    [Fact]
    public void AFunctionThatIsNotSha1IsRefused()
    {
        static void Wrong(Span<uint> state, ReadOnlySpan<byte> blocks)
        {
            Sha1Compression.CompressBlocks(state, blocks, hardware: false);
            state[4] ^= 1;
        }
        var before = Sha1Acceleration.Native;
        Assert.False(Sha1Acceleration.Use(Wrong, "wrong"));
        Assert.Same(before, Sha1Acceleration.Native);
    }

    [Fact]
    public void AFunctionThatCompressesOnlyTheFirstBlockIsRefused()
    {
        static void FirstBlockOnly(Span<uint> state, ReadOnlySpan<byte> blocks) =>
            Sha1Compression.Compress(state, blocks[..Sha1Compression.BlockSize], hardware: false);
        var before = Sha1Acceleration.Native;
        Assert.False(Sha1Acceleration.Use(FirstBlockOnly, "first block only"));
        Assert.Same(before, Sha1Acceleration.Native);
    }

    /// <summary>A message of 1-300 octets: the inner hash is one call (up to 119 octets) or two (whole blocks, then the padded tail).</summary>
    [Fact]
    public void EachHashIsOneCallOverAllItsBlocksAndMatchesTheBcl()
    {
        using var counter = new ThreadLocal<int>();
        void Counting(Span<uint> state, ReadOnlySpan<byte> blocks)
        {
            counter.Value++;
            Sha1Compression.CompressBlocks(state, blocks, hardware: false);
        }
        var before = Sha1Acceleration.Native;
        try
        {
            Assert.True(Sha1Acceleration.Use(Counting, "counting"));
            var rng = new Random(180);
            byte[] key = new byte[32], digest = new byte[20];
            rng.NextBytes(key);
            using var hmac = new HmacSha1(key);
            for (int length = 0; length <= 300; length++)
            {
                byte[] data = new byte[length];
                rng.NextBytes(data);
                int calls = counter.Value;
                hmac.Compute(data, digest);
                Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA1.HashData(key, data)), Convert.ToHexStringLower(digest));
                if (!Sha1Compression.HardwareSupported) Assert.Equal(calls + (length <= 119 ? 2 : 3), counter.Value);
            }
        }
        finally
        {
            if (before is null) Sha1Acceleration.Reset();
            else Assert.True(Sha1Acceleration.Use(before, "restored"));
        }
    }

    [Fact]
    public void AnAcceptedFunctionComputesTheHmacOfNewInstancesAndFallbackNeverUsesIt()
    {
        // Other test classes compute HMACs at the same time, through this function too: count this thread's calls.
        using var counter = new ThreadLocal<int>();
        void Counting(Span<uint> state, ReadOnlySpan<byte> blocks)
        {
            counter.Value++;
            Sha1Compression.CompressBlocks(state, blocks, hardware: false);
        }
        var before = Sha1Acceleration.Native;
        try
        {
            Assert.True(Sha1Acceleration.Use(Counting, "counting"));
            int afterCheck = counter.Value;
            var (_, key, data, mac) = CryptoSelfTest.Rfc2202[1];
            byte[] digest = new byte[20];
            using (var fallback = new HmacSha1(key, CryptoImplementation.Fallback)) fallback.Compute(data, digest);
            Assert.Equal(afterCheck, counter.Value);
            using var hmac = new HmacSha1(key);
            hmac.Compute(data, digest);
            Assert.Equal(mac, Convert.ToHexStringLower(digest));
            // ipad, opad, then one call per hash: the 28-octet message's padded block, the outer block.
            if (!Sha1Compression.HardwareSupported) Assert.Equal(afterCheck + 4, counter.Value);
        }
        finally
        {
            if (before is null) Sha1Acceleration.Reset();
            else Assert.True(Sha1Acceleration.Use(before, "restored"));
        }
    }
}
