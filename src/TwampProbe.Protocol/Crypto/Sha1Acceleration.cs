namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// Where the CPU has SHA-1 instructions that .NET does not expose (x86 SHA-NI), the executable may hand
/// the per-packet HMAC a native compression function — OpenSSL's, which uses them — at start-up, before
/// any session exists. This library stays free of native code: it only checks the function against its
/// own compression on known blocks before it accepts it. ARMv8 SHA1 intrinsics, where present, are
/// still preferred (no call at all); <see cref="CryptoImplementation.Fallback"/> never uses it.
/// </summary>
public static class Sha1Acceleration
{
    static volatile Registered? s_native;

    sealed record Registered(Sha1BlockFunction Function, string Name);

    internal static Sha1BlockFunction? Native => s_native?.Function;

    internal static string? NativeName => s_native?.Name;

    /// <summary>
    /// Uses <paramref name="compress"/> for the per-packet HMAC-SHA1 of sessions created from now on.
    /// False (and not used) when it does not compute SHA-1: checked on runs of one, two and three blocks
    /// whose result is known, so a function that compresses only the first block is refused too.
    /// </summary>
    public static bool Use(Sha1BlockFunction compress, string name)
    {
        ArgumentNullException.ThrowIfNull(compress);
        Span<uint> expected = stackalloc uint[Sha1Compression.StateWords];
        Span<uint> actual = stackalloc uint[Sha1Compression.StateWords];
        Span<byte> blocks = stackalloc byte[3 * Sha1Compression.BlockSize];
        for (int n = 1; n <= 3; n++)
        {
            var run = blocks[..(n * Sha1Compression.BlockSize)];
            for (int j = 0; j < run.Length; j++) run[j] = (byte)(j * 7 + n * 31 + 1);
            Sha1Compression.Initialize(expected);
            expected[n - 1] ^= 0x5a5a5a5a;
            expected.CopyTo(actual);
            Sha1Compression.CompressBlocks(expected, run, hardware: false);
            compress(actual, run);
            if (!expected.SequenceEqual(actual)) return false;
        }
        s_native = new Registered(compress, name);
        return true;
    }

    /// <summary>Back to this library's own compression (tests).</summary>
    internal static void Reset() => s_native = null;
}
