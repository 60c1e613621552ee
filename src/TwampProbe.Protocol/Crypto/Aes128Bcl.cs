using System.Security.Cryptography;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// AES-128 through the BCL (OpenSSL) for CPUs without AES instructions: transforms keyed once, and one
/// call for all blocks of a region (the one-shot <c>Aes.EncryptEcb</c> family would make a new cipher
/// context per call). The transforms take arrays, so the blocks pass through scratch buffers.
/// </summary>
internal sealed class Aes128Bcl : Aes128
{
    const int Scratch = 128;
    readonly Aes _aes;
    readonly ICryptoTransform _ecbEncrypt;
    readonly ICryptoTransform _ecbDecrypt;
    readonly ICryptoTransform _cbcEncrypt;
    readonly byte[] _in = new byte[Scratch];
    readonly byte[] _out = new byte[Scratch];
    /// <summary>The last ciphertext block <see cref="_cbcEncrypt"/> produced: the chain value it continues from.</summary>
    readonly byte[] _chain = new byte[BlockSize];
    bool _disposed;

    public Aes128Bcl(ReadOnlySpan<byte> key)
    {
        byte[] k = key.ToArray();
        _aes = Aes.Create();
        _aes.Key = k;
        _aes.Padding = PaddingMode.None;
        _aes.Mode = CipherMode.ECB;
        _ecbEncrypt = _aes.CreateEncryptor();
        _ecbDecrypt = _aes.CreateDecryptor();
        _aes.Mode = CipherMode.CBC;
        _cbcEncrypt = _aes.CreateEncryptor(k, new byte[BlockSize]);
        CryptographicOperations.ZeroMemory(k);
    }

    public override void EncryptEcb(Span<byte> blocks) => Ecb(_ecbEncrypt, blocks);

    public override void DecryptEcb(Span<byte> blocks) => Ecb(_ecbDecrypt, blocks);

    void Ecb(ICryptoTransform transform, Span<byte> blocks)
    {
        CheckBlocks(blocks);
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int off = 0; off < blocks.Length; off += Scratch)
        {
            var chunk = blocks.Slice(off, Math.Min(Scratch, blocks.Length - off));
            chunk.CopyTo(_in);
            transform.TransformBlock(_in, 0, chunk.Length, _out, 0);
            _out.AsSpan(0, chunk.Length).CopyTo(chunk);
        }
    }

    /// <summary>
    /// One keyed CBC transform serves every call: it chains on from the last ciphertext block it produced
    /// (<see cref="_chain"/>), so the first block goes in as P_0 ⊕ IV ⊕ chain and E(P_0 ⊕ IV) comes out.
    /// </summary>
    public override void EncryptCbc(Span<byte> blocks, ReadOnlySpan<byte> iv)
    {
        CheckBlocks(blocks);
        CheckIv(iv);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (blocks.IsEmpty) return;
        for (int off = 0; off < blocks.Length; off += Scratch)
        {
            var chunk = blocks.Slice(off, Math.Min(Scratch, blocks.Length - off));
            chunk.CopyTo(_in);
            if (off == 0)
                for (int i = 0; i < BlockSize; i++) _in[i] ^= (byte)(iv[i] ^ _chain[i]);
            _cbcEncrypt.TransformBlock(_in, 0, chunk.Length, _out, 0);
            _out.AsSpan(0, chunk.Length).CopyTo(chunk);
            _out.AsSpan(chunk.Length - BlockSize, BlockSize).CopyTo(_chain);
        }
    }

    /// <summary>CBC decryption is parallel: one ECB decryption of all blocks, then P_i = D(C_i) ⊕ C_(i−1).</summary>
    public override void DecryptCbc(Span<byte> blocks, ReadOnlySpan<byte> iv)
    {
        CheckBlocks(blocks);
        CheckIv(iv);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> previous = stackalloc byte[BlockSize];
        iv.CopyTo(previous);
        for (int off = 0; off < blocks.Length; off += Scratch)
        {
            var chunk = blocks.Slice(off, Math.Min(Scratch, blocks.Length - off));
            chunk.CopyTo(_in);
            _ecbDecrypt.TransformBlock(_in, 0, chunk.Length, _out, 0);
            for (int i = 0; i < BlockSize; i++) chunk[i] = (byte)(_out[i] ^ previous[i]);
            for (int i = BlockSize; i < chunk.Length; i++) chunk[i] = (byte)(_out[i] ^ _in[i - BlockSize]);
            _in.AsSpan(chunk.Length - BlockSize, BlockSize).CopyTo(previous);
        }
    }

    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _ecbEncrypt.Dispose();
        _ecbDecrypt.Dispose();
        _cbcEncrypt.Dispose();
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_in);
        CryptographicOperations.ZeroMemory(_out);
        CryptographicOperations.ZeroMemory(_chain);
    }
}
