using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using ArmAes = System.Runtime.Intrinsics.Arm.Aes;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// AES-128 (FIPS 197) with the key schedule expanded once, for the per-packet path: ECB and CBC over
/// whole blocks, in place. On a CPU with AES instructions (x86 AES-NI, ARMv8 Cryptography Extension)
/// every round is one instruction — no table lookups, so constant-time by construction; elsewhere the
/// BCL (OpenSSL) does the work with pre-keyed transforms, one call per packet region. Not thread-safe.
/// </summary>
internal abstract class Aes128 : IDisposable
{
    public const int BlockSize = 16;
    public const int KeySize = 16;
    const int Rounds = 10;

    /// <summary>True when the CPU has AES instructions this process can use.</summary>
    public static bool HardwareSupported => X86Aes.IsSupported || ArmAes.IsSupported;

    /// <summary>Which code an <see cref="Auto"/> instance uses here: for logs and the self-test.</summary>
    public static string Describe(CryptoImplementation implementation) => implementation == CryptoImplementation.Fallback || !HardwareSupported
        ? "BCL (OpenSSL)"
        : X86Aes.IsSupported ? "x86 AES-NI" : "ARMv8 AES";

    public static Aes128 Create(ReadOnlySpan<byte> key, CryptoImplementation implementation = CryptoImplementation.Auto)
    {
        if (key.Length != KeySize) throw new ArgumentException("AES-128 takes a 16-octet key", nameof(key));
        if (implementation == CryptoImplementation.Auto)
        {
            if (X86Aes.IsSupported) return new Aes128Hardware<X86AesRounds>(key);
            if (ArmAes.IsSupported) return new Aes128Hardware<ArmAesRounds>(key);
        }
        return new Aes128Bcl(key);
    }

    public abstract void EncryptEcb(Span<byte> blocks);
    public abstract void DecryptEcb(Span<byte> blocks);
    public abstract void EncryptCbc(Span<byte> blocks, ReadOnlySpan<byte> iv);
    public abstract void DecryptCbc(Span<byte> blocks, ReadOnlySpan<byte> iv);
    public abstract void Dispose();

    protected static void CheckBlocks(ReadOnlySpan<byte> blocks)
    {
        if (blocks.Length % BlockSize != 0) throw new ArgumentException("AES works on whole 16-octet blocks", nameof(blocks));
    }

    protected static void CheckIv(ReadOnlySpan<byte> iv)
    {
        if (iv.Length != BlockSize) throw new ArgumentException("the IV is one 16-octet block", nameof(iv));
    }

    /// <summary>
    /// FIPS 197 §5.2 KeyExpansion for Nk = 4 into 11 round keys. SubWord runs on the AES instruction
    /// itself (a state whose four columns are equal is unchanged by ShiftRows), so the expansion has no
    /// secret-dependent table lookup either. Words are little-endian: byte 0 of the key is the low byte.
    /// </summary>
    protected static void ExpandKey(ReadOnlySpan<byte> key, Span<Vector128<byte>> roundKeys, Func<uint, uint> subWord)
    {
        Span<uint> w = stackalloc uint[4 * (Rounds + 1)];
        for (int i = 0; i < 4; i++) w[i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(4 * i)..]);
        uint rcon = 1;
        for (int i = 4; i < w.Length; i++)
        {
            uint t = w[i - 1];
            if (i % 4 == 0)
            {
                t = subWord(BitOperations.RotateRight(t, 8)) ^ rcon; // RotWord: [b0 b1 b2 b3] -> [b1 b2 b3 b0]
                rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11b);       // xtime in GF(2^8)
            }
            w[i] = w[i - 4] ^ t;
        }
        for (int r = 0; r <= Rounds; r++)
            roundKeys[r] = Vector128.Create(w[4 * r], w[4 * r + 1], w[4 * r + 2], w[4 * r + 3]).AsByte();
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(w));
    }
}
