using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// HMAC-SHA1 (RFC 2104, FIPS 198-1) with the keyed inner and outer states computed once: SHA-1 of
/// (K ⊕ ipad) and of (K ⊕ opad) are the first block of every inner and outer hash, so a message then
/// costs its own blocks plus one outer block — for a 16-octet message two compressions in all, and no
/// call into a library. Compute only reads the midstates; Dispose (which zeroes them) belongs to the owner.
/// </summary>
internal sealed class HmacSha1 : IDisposable
{
    public const int HashSize = 20;
    const int Block = Sha1Compression.BlockSize;
    readonly uint[] _inner = new uint[Sha1Compression.StateWords];
    readonly uint[] _outer = new uint[Sha1Compression.StateWords];
    readonly bool _hardware;
    /// <summary>A native compression handed over by the executable (<see cref="Sha1Acceleration"/>), or null.</summary>
    readonly Sha1BlockFunction? _native;
    bool _disposed;

    public HmacSha1(ReadOnlySpan<byte> key, CryptoImplementation implementation = CryptoImplementation.Auto)
    {
        _hardware = implementation == CryptoImplementation.Auto && Sha1Compression.HardwareSupported;
        _native = implementation == CryptoImplementation.Auto && !_hardware ? Sha1Acceleration.Native : null;
        Span<byte> k0 = stackalloc byte[Block];
        k0.Clear();
        // RFC 2104 §2: a key longer than the block is hashed first; a shorter one is padded with zeros.
        if (key.Length > Block) SHA1.HashData(key, k0);
        else key.CopyTo(k0);
        Span<byte> pad = stackalloc byte[Block];
        for (int i = 0; i < Block; i++) pad[i] = (byte)(k0[i] ^ 0x36);
        Sha1Compression.Initialize(_inner);
        Compress(_inner, pad);
        for (int i = 0; i < Block; i++) pad[i] = (byte)(k0[i] ^ 0x5c);
        Sha1Compression.Initialize(_outer);
        Compress(_outer, pad);
        CryptographicOperations.ZeroMemory(k0);
        CryptographicOperations.ZeroMemory(pad);
    }

    /// <summary>
    /// HMAC-SHA1 of <paramref name="data"/>; writes the first min(20, destination.Length) octets —
    /// 16 for TWAMP/OWAMP, which truncate to 128 bits (RFC 4656 §4.1.2, RFC 5357 §4.1.2).
    /// </summary>
    public void Compute(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<uint> h = stackalloc uint[Sha1Compression.StateWords];
        Span<byte> block = stackalloc byte[Block];

        _inner.CopyTo(h);
        int whole = data.Length - data.Length % Block;
        for (int off = 0; off < whole; off += Block) Compress(h, data.Slice(off, Block));
        Finish(h, data[whole..], Block + (long)data.Length, block);

        // Outer hash: (K ⊕ opad) ‖ inner digest, i.e. one block: digest, 0x80, zeros, length 84 × 8.
        block.Clear();
        for (int i = 0; i < Sha1Compression.StateWords; i++) BinaryPrimitives.WriteUInt32BigEndian(block[(4 * i)..], h[i]);
        block[HashSize] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(block[(Block - 8)..], (Block + HashSize) * 8UL);
        _outer.CopyTo(h);
        Compress(h, block);

        Span<byte> mac = stackalloc byte[HashSize];
        for (int i = 0; i < Sha1Compression.StateWords; i++) BinaryPrimitives.WriteUInt32BigEndian(mac[(4 * i)..], h[i]);
        mac[..Math.Min(HashSize, destination.Length)].CopyTo(destination);
    }

    void Compress(Span<uint> state, ReadOnlySpan<byte> block)
    {
        if (_native is not null) _native(state, block);
        else Sha1Compression.Compress(state, block, _hardware);
    }

    /// <summary>FIPS 180-4 §5.1.1 padding: 0x80, zeros, the message length in bits as 64 bits big-endian.</summary>
    void Finish(Span<uint> h, ReadOnlySpan<byte> tail, long totalLength, Span<byte> block)
    {
        block.Clear();
        tail.CopyTo(block);
        block[tail.Length] = 0x80;
        if (tail.Length >= Block - 8)
        {
            Compress(h, block);
            block.Clear();
        }
        BinaryPrimitives.WriteUInt64BigEndian(block[(Block - 8)..], (ulong)totalLength * 8);
        Compress(h, block);
    }

    public void Dispose()
    {
        _disposed = true;
        Array.Clear(_inner);
        Array.Clear(_outer);
    }
}
