using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ArmSha1 = System.Runtime.Intrinsics.Arm.Sha1;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// The SHA-1 compression function (FIPS 180-4 §6.1.2) on one 64-octet block: ARMv8 SHA1 instructions
/// where present, portable C# elsewhere (x86 has SHA-NI, but .NET exposes no intrinsics for it: see
/// <see cref="Sha1Acceleration"/> for how the executable hands over OpenSSL's compression instead). Only
/// additions, rotations and bitwise operations: no table lookups, no data-dependent branches.
/// </summary>
internal static class Sha1Compression
{
    public const int BlockSize = 64;
    public const int StateWords = 5;
    const uint K0 = 0x5a827999, K1 = 0x6ed9eba1, K2 = 0x8f1bbcdc, K3 = 0xca62c1d6;

    /// <summary>True when the CPU has SHA-1 instructions this process can use.</summary>
    public static bool HardwareSupported => ArmSha1.IsSupported;

    public static string Describe(CryptoImplementation implementation) =>
        implementation == CryptoImplementation.Fallback ? "portable C#"
        : HardwareSupported ? "ARMv8 SHA1"
        : Sha1Acceleration.NativeName ?? "portable C#";

    /// <summary>FIPS 180-4 §5.3.1.</summary>
    public static void Initialize(Span<uint> state)
    {
        state[0] = 0x67452301;
        state[1] = 0xefcdab89;
        state[2] = 0x98badcfe;
        state[3] = 0x10325476;
        state[4] = 0xc3d2e1f0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Compress(Span<uint> state, ReadOnlySpan<byte> block, bool hardware)
    {
        if (hardware && ArmSha1.IsSupported) CompressArm(state, block);
        else CompressPortable(state, block);
    }

    /// <summary>Updates <paramref name="state"/> with each 64-octet block of <paramref name="blocks"/> in turn.</summary>
    public static void CompressBlocks(Span<uint> state, ReadOnlySpan<byte> blocks, bool hardware)
    {
        if (blocks.Length % BlockSize != 0) throw new ArgumentException("SHA-1 compresses whole 64-octet blocks", nameof(blocks));
        for (int off = 0; off < blocks.Length; off += BlockSize) Compress(state, blocks.Slice(off, BlockSize), hardware);
    }

    static void CompressPortable(Span<uint> state, ReadOnlySpan<byte> block)
    {
        block = block[..BlockSize];
        Span<uint> w = stackalloc uint[80];
        for (int t = 0; t < 16; t++) w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(4 * t)..]);
        for (int t = 16; t < 80; t++) w[t] = BitOperations.RotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        // Five rounds per iteration with the roles of a..e rotated instead of moved: each line is
        // T = ROTL5(a) + f(b, c, d) + e + K + W_t; e = d; d = c; c = ROTL30(b); b = a; a = T.
        for (int t = 0; t < 20; t += 5)
        {
            e += BitOperations.RotateLeft(a, 5) + Ch(b, c, d) + K0 + w[t]; b = BitOperations.RotateLeft(b, 30);
            d += BitOperations.RotateLeft(e, 5) + Ch(a, b, c) + K0 + w[t + 1]; a = BitOperations.RotateLeft(a, 30);
            c += BitOperations.RotateLeft(d, 5) + Ch(e, a, b) + K0 + w[t + 2]; e = BitOperations.RotateLeft(e, 30);
            b += BitOperations.RotateLeft(c, 5) + Ch(d, e, a) + K0 + w[t + 3]; d = BitOperations.RotateLeft(d, 30);
            a += BitOperations.RotateLeft(b, 5) + Ch(c, d, e) + K0 + w[t + 4]; c = BitOperations.RotateLeft(c, 30);
        }
        for (int t = 20; t < 40; t += 5)
        {
            e += BitOperations.RotateLeft(a, 5) + (b ^ c ^ d) + K1 + w[t]; b = BitOperations.RotateLeft(b, 30);
            d += BitOperations.RotateLeft(e, 5) + (a ^ b ^ c) + K1 + w[t + 1]; a = BitOperations.RotateLeft(a, 30);
            c += BitOperations.RotateLeft(d, 5) + (e ^ a ^ b) + K1 + w[t + 2]; e = BitOperations.RotateLeft(e, 30);
            b += BitOperations.RotateLeft(c, 5) + (d ^ e ^ a) + K1 + w[t + 3]; d = BitOperations.RotateLeft(d, 30);
            a += BitOperations.RotateLeft(b, 5) + (c ^ d ^ e) + K1 + w[t + 4]; c = BitOperations.RotateLeft(c, 30);
        }
        for (int t = 40; t < 60; t += 5)
        {
            e += BitOperations.RotateLeft(a, 5) + Maj(b, c, d) + K2 + w[t]; b = BitOperations.RotateLeft(b, 30);
            d += BitOperations.RotateLeft(e, 5) + Maj(a, b, c) + K2 + w[t + 1]; a = BitOperations.RotateLeft(a, 30);
            c += BitOperations.RotateLeft(d, 5) + Maj(e, a, b) + K2 + w[t + 2]; e = BitOperations.RotateLeft(e, 30);
            b += BitOperations.RotateLeft(c, 5) + Maj(d, e, a) + K2 + w[t + 3]; d = BitOperations.RotateLeft(d, 30);
            a += BitOperations.RotateLeft(b, 5) + Maj(c, d, e) + K2 + w[t + 4]; c = BitOperations.RotateLeft(c, 30);
        }
        for (int t = 60; t < 80; t += 5)
        {
            e += BitOperations.RotateLeft(a, 5) + (b ^ c ^ d) + K3 + w[t]; b = BitOperations.RotateLeft(b, 30);
            d += BitOperations.RotateLeft(e, 5) + (a ^ b ^ c) + K3 + w[t + 1]; a = BitOperations.RotateLeft(a, 30);
            c += BitOperations.RotateLeft(d, 5) + (e ^ a ^ b) + K3 + w[t + 2]; e = BitOperations.RotateLeft(e, 30);
            b += BitOperations.RotateLeft(c, 5) + (d ^ e ^ a) + K3 + w[t + 3]; d = BitOperations.RotateLeft(d, 30);
            a += BitOperations.RotateLeft(b, 5) + (c ^ d ^ e) + K3 + w[t + 4]; c = BitOperations.RotateLeft(c, 30);
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint Ch(uint x, uint y, uint z) => z ^ (x & (y ^ z));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint Maj(uint x, uint y, uint z) => (x & y) | (z & (x | y));

    /// <summary>
    /// Four rounds per step: SHA1C/SHA1P/SHA1M update ABCD with W+K, SHA1H gives the next E (= ROTL30(a),
    /// the a of four rounds before), SHA1SU0/SHA1SU1 extend the message schedule four words at a time.
    /// </summary>
    static void CompressArm(Span<uint> state, ReadOnlySpan<byte> block)
    {
        block = block[..BlockSize];
        var abcd = Vector128.Create(state[0], state[1], state[2], state[3]);
        var e = Vector64.CreateScalar(state[4]);
        var abcd0 = abcd;
        var e0 = e;
        var w0 = LoadBigEndian(block, 0);
        var w1 = LoadBigEndian(block, 16);
        var w2 = LoadBigEndian(block, 32);
        var w3 = LoadBigEndian(block, 48);
        for (int step = 0; step < 20; step++)
        {
            var wk = w0 + Vector128.Create(step < 5 ? K0 : step < 10 ? K1 : step < 15 ? K2 : K3);
            var next = ArmSha1.FixedRotate(abcd.GetLower());
            abcd = step < 5 ? ArmSha1.HashUpdateChoose(abcd, e, wk)
                : step < 10 ? ArmSha1.HashUpdateParity(abcd, e, wk)
                : step < 15 ? ArmSha1.HashUpdateMajority(abcd, e, wk)
                : ArmSha1.HashUpdateParity(abcd, e, wk);
            e = next;
            var w4 = ArmSha1.ScheduleUpdate1(ArmSha1.ScheduleUpdate0(w0, w1, w2), w3);
            w0 = w1;
            w1 = w2;
            w2 = w3;
            w3 = w4;
        }
        abcd += abcd0;
        state[0] = abcd.GetElement(0);
        state[1] = abcd.GetElement(1);
        state[2] = abcd.GetElement(2);
        state[3] = abcd.GetElement(3);
        state[4] = (e + e0).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<uint> LoadBigEndian(ReadOnlySpan<byte> block, int offset) => Vector128.Create(
        BinaryPrimitives.ReadUInt32BigEndian(block[offset..]), BinaryPrimitives.ReadUInt32BigEndian(block[(offset + 4)..]),
        BinaryPrimitives.ReadUInt32BigEndian(block[(offset + 8)..]), BinaryPrimitives.ReadUInt32BigEndian(block[(offset + 12)..]));
}
