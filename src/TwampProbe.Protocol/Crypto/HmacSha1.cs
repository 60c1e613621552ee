using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// HMAC-SHA1 (RFC 2104, FIPS 198-1) with the keyed inner and outer states computed once: SHA-1 of
/// (K ⊕ ipad) and of (K ⊕ opad) are the first block of every inner and outer hash, so a message then
/// costs its own blocks plus one outer block — for a 16-octet message two compressions in all, and no
/// call into a library. Each hash is one call of the compression over all its blocks: a message of up to
/// 119 octets (every TWAMP/OWAMP test packet) is copied into a scratch buffer of two blocks that keeps
/// the padding of the last message of that length; a longer one has its whole blocks compressed in place
/// and only its padded tail from the scratch; the outer block keeps its padding and only takes the new
/// inner digest.
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
    /// <summary>
    /// Two slots of two blocks: the message (up to <see cref="ShortMessage"/> octets) or the tail of a
    /// longer one, padded; <see cref="_padded"/> is the message length whose padding a slot holds (−1: none),
    /// <see cref="_blocksLength"/> the length of its one or two blocks.
    /// </summary>
    readonly byte[] _final = new byte[4 * Block];
    readonly int[] _padded = [-1, -1];
    readonly int[] _blocksLength = new int[2];
    int _nextSlot;
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
        LoadState(_inner, h);
        int whole = data.Length <= ShortMessage ? 0 : data.Length - data.Length % Block;
        if (whole > 0) Compress(h, data[..whole]);
        var tail = data[whole..];
        // A session hashes messages of two lengths (the sender's and the reflector's protected octets), one
        // slot each: the padding of a length is written once, then only the message is copied in.
        int slot = _padded[0] == data.Length ? 0 : _padded[1] == data.Length ? 1 : -1;
        if (slot < 0)
        {
            slot = _nextSlot;
            _nextSlot ^= 1;
            _padded[slot] = data.Length;
            _blocksLength[slot] = Pad(_final.AsSpan(slot * 2 * Block, 2 * Block), tail.Length, Block + (long)data.Length);
        }
        var final = _final.AsSpan(slot * 2 * Block, _blocksLength[slot]);
        tail.CopyTo(final);
        Compress(h, final);

        // Outer hash: (K ⊕ opad) ‖ inner digest — one block, its padding already in place.
        Span<byte> outerBlock = _outerBlock;
        WriteDigestAndPadding(h, outerBlock);
        LoadState(_outer, h);
        Compress(h, outerBlock);
        // The digest field is free again: the next call overwrites it before it compresses the block.
        WriteDigestAndPadding(h, outerBlock);
        return outerBlock[..HashSize];
    }

    /// <summary>
    /// FIPS 180-4 §5.1.1 padding after the <paramref name="tailLength"/> octets already in
    /// <paramref name="final"/>: 0x80, zeros, the message length in bits as 64 bits big-endian. Returns
    /// the length of the one or two blocks to compress.
    /// </summary>
    static int Pad(Span<byte> final, int tailLength, long totalLength)
    {
        int end = tailLength + 9 <= Block ? Block : 2 * Block;
        final[tailLength] = 0x80;
        final[(tailLength + 1)..(end - 8)].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(final[(end - 8)..], (ulong)totalLength * 8);
        return end;
    }

    /// <summary>
    /// The 20-octet digest (the state words big-endian), then 0x80 and 11 zeros: octets 0-31 of the outer
    /// block, as two 16-octet stores. The compression reads the block 16 octets at a time, and so does
    /// the tag comparison: a load that spans several narrower recent stores cannot be forwarded from them
    /// and waits until they reach the cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void WriteDigestAndPadding(ReadOnlySpan<uint> h, Span<byte> outerBlock)
    {
        Vector128.Create(BigEndian(h[0]), BigEndian(h[1]), BigEndian(h[2]), BigEndian(h[3])).AsByte().CopyTo(outerBlock);
        Vector128.Create(BigEndian(h[4]), BitConverter.IsLittleEndian ? 0x80u : 0x80000000u, 0, 0).AsByte().CopyTo(outerBlock[16..]);
    }

    /// <summary>h0-h3 as one 16-octet copy, as the compression then reads them (a copy of 20 octets is two overlapping ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void LoadState(uint[] midstate, Span<uint> h)
    {
        Vector128.Create(midstate.AsSpan(0, 4)).CopyTo(h);
        h[4] = midstate[4];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint BigEndian(uint word) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(word) : word;

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
        _padded[0] = _padded[1] = -1;
        CryptographicOperations.ZeroMemory(_outerBlock.AsSpan(0, HashSize));
    }
}
