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
        AssertRefused(Wrong, "wrong");
    }

    [Fact]
    public void AFunctionThatCompressesOnlyTheFirstBlockIsRefused()
    {
        static void FirstBlockOnly(Span<uint> state, ReadOnlySpan<byte> blocks) =>
            Sha1Compression.Compress(state, blocks[..Sha1Compression.BlockSize], hardware: false);
        AssertRefused(FirstBlockOnly, "first block only");
    }

    /// <summary>A message of 1-300 octets: the inner hash is one call (up to 119 octets) or two (whole blocks, then the padded tail).</summary>
    [Fact]
    public void EachHashIsOneCallOverAllItsBlocksAndMatchesTheBcl() => WhileCounting(calls =>
    {
        var rng = new Random(180);
        byte[] key = new byte[32], digest = new byte[20];
        rng.NextBytes(key);
        using var hmac = new HmacSha1(key);
        for (int length = 0; length <= 300; length++)
        {
            byte[] data = new byte[length];
            rng.NextBytes(data);
            int before = calls();
            hmac.Compute(data, digest);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA1.HashData(key, data)), Convert.ToHexStringLower(digest));
            if (!Sha1Compression.HardwareSupported) Assert.Equal(before + (length <= 119 ? 2 : 3), calls());
        }
    });

    [Fact]
    public void AnAcceptedFunctionComputesTheHmacOfNewInstancesAndFallbackNeverUsesIt() => WhileCounting(calls =>
    {
        int afterCheck = calls();
        var (_, key, data, mac) = CryptoSelfTest.Rfc2202[1];
        byte[] digest = new byte[20];
        using (var fallback = new HmacSha1(key, CryptoImplementation.Fallback)) fallback.Compute(data, digest);
        Assert.Equal(afterCheck, calls());
        using var hmac = new HmacSha1(key);
        hmac.Compute(data, digest);
        Assert.Equal(mac, Convert.ToHexStringLower(digest));
        // ipad, opad, then one call per hash: the 28-octet message's padded block, the outer block.
        if (!Sha1Compression.HardwareSupported) Assert.Equal(afterCheck + 4, calls());
    });

    /// <summary><paramref name="compress"/> is refused and the registration stays what it was.</summary>
    static void AssertRefused(Sha1BlockFunction compress, string name)
    {
        var before = Sha1Acceleration.Native;
        Assert.False(Sha1Acceleration.Use(compress, name));
        Assert.Same(before, Sha1Acceleration.Native);
    }

    /// <summary>
    /// Runs <paramref name="test"/> with a correct compression registered that counts its calls on this
    /// thread (other test classes compute HMACs at the same time, through it too), then restores the
    /// registration that was there before. <paramref name="test"/> reads the count through its argument.
    /// </summary>
    static void WhileCounting(Action<Func<int>> test)
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
            test(() => counter.Value);
        }
        finally
        {
            if (before is null) Sha1Acceleration.Reset();
            else Assert.True(Sha1Acceleration.Use(before, "restored"));
        }
    }
}
