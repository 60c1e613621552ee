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
    /// False (and not used) when it does not compute SHA-1: checked on blocks whose result is known.
    /// </summary>
    public static bool Use(Sha1BlockFunction compress, string name)
    {
        ArgumentNullException.ThrowIfNull(compress);
        Span<uint> expected = stackalloc uint[Sha1Compression.StateWords];
        Span<uint> actual = stackalloc uint[Sha1Compression.StateWords];
        Span<byte> block = stackalloc byte[Sha1Compression.BlockSize];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < block.Length; j++) block[j] = (byte)(j * 7 + i * 31 + 1);
            Sha1Compression.Initialize(expected);
            expected[i] ^= 0x5a5a5a5a;
            expected.CopyTo(actual);
            Sha1Compression.Compress(expected, block, hardware: false);
            compress(actual, block);
            if (!expected.SequenceEqual(actual)) return false;
        }
        s_native = new Registered(compress, name);
        return true;
    }

    /// <summary>Back to this library's own compression (tests).</summary>
    internal static void Reset() => s_native = null;
}
