using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// HMAC-SHA1 (RFC 2104, FIPS 198-1) with the keyed inner and outer states computed once: SHA-1 of
/// (K ⊕ ipad) and of (K ⊕ opad) are the first block of every inner and outer hash, so a message then
/// costs its own blocks plus one outer block — for a 16-octet message two compressions in all, and no
/// call into a library. Each hash is one call of the compression over all its blocks: a message of up to
/// 119 octets (every TWAMP/OWAMP test packet) is copied and padded into a scratch buffer of two blocks, a
/// longer one has its whole blocks compressed in place and only its padded tail from the scratch; the
/// outer block keeps its padding between calls and only takes the new inner digest.
/// Not thread-safe (the scratch buffers): one owner, like the <see cref="TestPacketCrypto"/> holding it,
/// which also disposes it (Dispose zeroes the midstates and the scratch).
/// </summary>
internal sealed class HmacSha1 : IDisposable
{
    public const int HashSize = 20;
    const int Block = Sha1Compression.BlockSize;
    /// <summary>The longest message whose padding (0x80, then the 8-octet length) still fits two blocks.</summary>
    const int ShortMessage = 2 * Block - 9;
    readonly uint[] _inner = new uint[Sha1Compression.StateWords];
    readonly uint[] _outer = new uint[Sha1Compression.StateWords];
    /// <summary>The message (up to <see cref="ShortMessage"/> octets) or the tail of a longer one, padded.</summary>
    readonly byte[] _final = new byte[2 * Block];
    /// <summary>The outer hash's one block: inner digest, 0x80, zeros, length (64 + 20) × 8 bits.</summary>
    readonly byte[] _outerBlock = new byte[Block];
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
        _outerBlock[HashSize] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(_outerBlock.AsSpan(Block - 8), (Block + HashSize) * 8UL);
    }

    /// <summary>
    /// HMAC-SHA1 of <paramref name="data"/>; writes the first min(20, destination.Length) octets —
    /// 16 for TWAMP/OWAMP, which truncate to 128 bits (RFC 4656 §4.1.2, RFC 5357 §4.1.2).
    /// </summary>
    public void Compute(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var digest = Digest(data);
        digest[..Math.Min(HashSize, destination.Length)].CopyTo(destination);
    }

    /// <summary>
    /// Whether <paramref name="tag"/> is the HMAC-SHA1 of <paramref name="data"/> truncated to 16 octets,
    /// compared in constant time (<see cref="ConstantTimeTag"/>).
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tag) =>
        ConstantTimeTag.Equal(Digest(data)[..ConstantTimeTag.Length], tag);

    /// <summary>The 20-octet HMAC, in the digest field of the outer block: valid until the next call.</summary>
    ReadOnlySpan<byte> Digest(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Sha1State state = default;
        Span<uint> h = state;
        _inner.AsSpan(0, Sha1Compression.StateWords).CopyTo(h); // constant length: copied inline
        Span<byte> final = _final;
        int whole = data.Length <= ShortMessage ? 0 : data.Length - data.Length % Block;
        if (whole > 0) Compress(h, data[..whole]);
        var tail = data[whole..];
        tail.CopyTo(final);
        Compress(h, Pad(final, tail.Length, Block + (long)data.Length));

        // Outer hash: (K ⊕ opad) ‖ inner digest — one block, its padding already in place.
        Span<byte> outerBlock = _outerBlock;
        WriteDigest(h, outerBlock);
        _outer.AsSpan(0, Sha1Compression.StateWords).CopyTo(h);
        Compress(h, outerBlock);
        // The digest field is free again: the next call overwrites it before it compresses the block.
        WriteDigest(h, outerBlock);
        return outerBlock[..HashSize];
    }

    /// <summary>
    /// FIPS 180-4 §5.1.1 padding after the <paramref name="tailLength"/> octets already in
    /// <paramref name="final"/>: 0x80, zeros, the message length in bits as 64 bits big-endian. Returns
    /// the one or two blocks to compress.
    /// </summary>
    static ReadOnlySpan<byte> Pad(Span<byte> final, int tailLength, long totalLength)
    {
        int end = tailLength + 9 <= Block ? Block : 2 * Block;
        final[tailLength] = 0x80;
        final[(tailLength + 1)..(end - 8)].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(final[(end - 8)..], (ulong)totalLength * 8);
        return final[..end];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void WriteDigest(ReadOnlySpan<uint> h, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], h[4]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, h[0]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], h[1]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], h[2]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], h[3]);
    }

    void Compress(Span<uint> state, ReadOnlySpan<byte> blocks)
    {
        if (_native is not null) _native(state, blocks);
        else Sha1Compression.CompressBlocks(state, blocks, _hardware);
    }

    public void Dispose()
    {
        _disposed = true;
        Array.Clear(_inner);
        Array.Clear(_outer);
        CryptographicOperations.ZeroMemory(_final);
        CryptographicOperations.ZeroMemory(_outerBlock.AsSpan(0, HashSize));
    }
}
