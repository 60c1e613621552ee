using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TwampProbe.Protocol.Crypto;

/// <summary>The rounds of AES-128 on one CPU family's AES instructions.</summary>
internal interface IAesRounds
{
    static abstract uint SubWord(uint word);
    static abstract Vector128<byte> InverseMixColumns(Vector128<byte> roundKey);
    static abstract Vector128<byte> Encrypt(Vector128<byte> state, ReadOnlySpan<Vector128<byte>> roundKeys);
    /// <summary>The equivalent inverse cipher (FIPS 197 §5.3.5) with the decryption round keys.</summary>
    static abstract Vector128<byte> Decrypt(Vector128<byte> state, ReadOnlySpan<Vector128<byte>> roundKeys);

    // Decrypt split into its steps, so that independent blocks can go through them side by side:
    // DecryptFirst with dk0, DecryptMiddle with dk1 … dk8, DecryptLast with dk9 and dk10.
    static abstract Vector128<byte> DecryptFirst(Vector128<byte> state, Vector128<byte> k0);
    static abstract Vector128<byte> DecryptMiddle(Vector128<byte> state, Vector128<byte> k);
    static abstract Vector128<byte> DecryptLast(Vector128<byte> state, Vector128<byte> k9, Vector128<byte> k10);
}

/// <summary>
/// AES-128 on the CPU's instructions; <typeparamref name="TRounds"/> is a struct, so each CPU family gets
/// its own specialised code with the rounds inlined. The round keys stay in this object until Dispose.
/// </summary>
internal sealed class Aes128Hardware<TRounds> : Aes128 where TRounds : struct, IAesRounds
{
    readonly Vector128<byte>[] _enc = new Vector128<byte>[11];
    readonly Vector128<byte>[] _dec = new Vector128<byte>[11];
    bool _disposed;

    public Aes128Hardware(ReadOnlySpan<byte> key)
    {
        ExpandKey(key, _enc, static w => TRounds.SubWord(w));
        // Decryption keys of the equivalent inverse cipher: dk0 = ek10, dk_i = InvMixColumns(ek_(10-i)), dk10 = ek0.
        _dec[0] = _enc[10];
        for (int i = 1; i < 10; i++) _dec[i] = TRounds.InverseMixColumns(_enc[10 - i]);
        _dec[10] = _enc[0];
    }

    ReadOnlySpan<Vector128<byte>> EncKeys
    {
        get { ObjectDisposedException.ThrowIf(_disposed, this); return _enc; }
    }

    ReadOnlySpan<Vector128<byte>> DecKeys
    {
        get { ObjectDisposedException.ThrowIf(_disposed, this); return _dec; }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<byte> Load(ReadOnlySpan<byte> blocks, int offset) => Vector128.Create(blocks.Slice(offset, BlockSize));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector128<byte> block, Span<byte> blocks, int offset) => block.CopyTo(blocks.Slice(offset, BlockSize));

    public override void EncryptEcb(Span<byte> blocks)
    {
        CheckBlocks(blocks);
        var k = EncKeys;
        for (int off = 0; off < blocks.Length; off += BlockSize) Store(TRounds.Encrypt(Load(blocks, off), k), blocks, off);
    }

    public override void DecryptEcb(Span<byte> blocks)
    {
        CheckBlocks(blocks);
        var k = DecKeys;
        for (int off = 0; off < blocks.Length; off += BlockSize) Store(TRounds.Decrypt(Load(blocks, off), k), blocks, off);
    }

    /// <summary>C_i = E(P_i ⊕ C_(i−1)), C_(−1) = IV (SP 800-38A §6.2).</summary>
    public override void EncryptCbc(Span<byte> blocks, ReadOnlySpan<byte> iv)
    {
        CheckBlocks(blocks);
        CheckIv(iv);
        var k = EncKeys;
        var chain = Vector128.Create(iv);
        for (int off = 0; off < blocks.Length; off += BlockSize)
        {
            chain = TRounds.Encrypt(Load(blocks, off) ^ chain, k);
            Store(chain, blocks, off);
        }
    }

    /// <summary>
    /// P_i = D(C_i) ⊕ C_(i−1), C_(−1) = IV. The decryptions are independent: four blocks (then two) go
    /// through the rounds side by side, so the AES unit works on several at once instead of waiting for
    /// each round's result; the chain is XORed after.
    /// </summary>
    public override void DecryptCbc(Span<byte> blocks, ReadOnlySpan<byte> iv)
    {
        CheckBlocks(blocks);
        CheckIv(iv);
        var k = DecKeys;
        var previous = Vector128.Create(iv);
        int off = 0;
        for (; off + 4 * BlockSize <= blocks.Length; off += 4 * BlockSize)
        {
            var c0 = Load(blocks, off);
            var c1 = Load(blocks, off + BlockSize);
            var c2 = Load(blocks, off + 2 * BlockSize);
            var c3 = Load(blocks, off + 3 * BlockSize);
            var k0 = k[0];
            Vector128<byte> s0 = TRounds.DecryptFirst(c0, k0), s1 = TRounds.DecryptFirst(c1, k0),
                s2 = TRounds.DecryptFirst(c2, k0), s3 = TRounds.DecryptFirst(c3, k0);
            for (int r = 1; r < 9; r++)
            {
                var kr = k[r];
                s0 = TRounds.DecryptMiddle(s0, kr);
                s1 = TRounds.DecryptMiddle(s1, kr);
                s2 = TRounds.DecryptMiddle(s2, kr);
                s3 = TRounds.DecryptMiddle(s3, kr);
            }
            Vector128<byte> k9 = k[9], k10 = k[10];
            Store(TRounds.DecryptLast(s0, k9, k10) ^ previous, blocks, off);
            Store(TRounds.DecryptLast(s1, k9, k10) ^ c0, blocks, off + BlockSize);
            Store(TRounds.DecryptLast(s2, k9, k10) ^ c1, blocks, off + 2 * BlockSize);
            Store(TRounds.DecryptLast(s3, k9, k10) ^ c2, blocks, off + 3 * BlockSize);
            previous = c3;
        }
        if (off + 2 * BlockSize <= blocks.Length)
        {
            var c0 = Load(blocks, off);
            var c1 = Load(blocks, off + BlockSize);
            var k0 = k[0];
            Vector128<byte> s0 = TRounds.DecryptFirst(c0, k0), s1 = TRounds.DecryptFirst(c1, k0);
            for (int r = 1; r < 9; r++)
            {
                var kr = k[r];
                s0 = TRounds.DecryptMiddle(s0, kr);
                s1 = TRounds.DecryptMiddle(s1, kr);
            }
            Vector128<byte> k9 = k[9], k10 = k[10];
            Store(TRounds.DecryptLast(s0, k9, k10) ^ previous, blocks, off);
            Store(TRounds.DecryptLast(s1, k9, k10) ^ c0, blocks, off + BlockSize);
            previous = c1;
            off += 2 * BlockSize;
        }
        if (off < blocks.Length) Store(TRounds.Decrypt(Load(blocks, off), k) ^ previous, blocks, off);
    }

    public override void Dispose()
    {
        _disposed = true;
        CryptographicZero(_enc);
        CryptographicZero(_dec);
    }

    static void CryptographicZero(Vector128<byte>[] keys) =>
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(keys.AsSpan()));
}
