using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TwampProbe.Protocol.Owamp;

/// <summary>
/// The reproducible pseudo-random numbers of RFC 4656 §5, exactly as specified, so that a sender and a
/// receiver (any implementation) compute the same exponential send schedule from the SID:
/// <list type="bullet">
/// <item>§5.3 Algorithm Unif: AES-128 keyed with the SID, in counter mode. A 16-octet big-endian counter
/// c starts at 0; for i = c mod 4, when i = 0 the block s = AES(c) is computed; c is incremented; the
/// output is octets 4i..4i+3 of s read big-endian as a 32-bit value. (So the blocks encrypted are the
/// counter values 0, 4, 8, …, as in the RFC's Appendix A code.)</item>
/// <item>§5.1 Algorithm S (Knuth 3.4.1.S) in the 32.32 fixed-point arithmetic of §5.2 with the eleven
/// Q constants that "MUST be used"; multiplication is (u × v) &gt;&gt; 32 of the exact 128-bit product.</item>
/// </list>
/// Known-answer tests: the four SID vectors of RFC 4656 Appendix B. Not thread-safe.
/// </summary>
public sealed class ScheduleRandom : IDisposable
{
    /// <summary>RFC 4656 §5.2: Q[1..11] × 2^32, the exact values all implementations MUST use (index 0 unused).</summary>
    static readonly ulong[] Q =
    [
        0,
        0xB17217F8, 0xEEF193F7, 0xFD271862, 0xFF9D6DD0, 0xFFF4CFD0,
        0xFFFEE819, 0xFFFFE7FF, 0xFFFFFE2B, 0xFFFFFFE0, 0xFFFFFFFE, 0xFFFFFFFF,
    ];
    /// <summary>Appendix A: (K − 1) is the first k with Q[k] &gt; 1 − 2^−32.</summary>
    const int K = 12;
    static ulong Ln2 => Q[1];
    const ulong Bit31 = 0x8000_0000;

    readonly Aes _aes;
    readonly ICryptoTransform _encrypt;
    readonly byte[] _counter = new byte[16];
    readonly byte[] _block = new byte[16];

    /// <summary>U1: key = the 16-octet SID, counter = 0.</summary>
    public ScheduleRandom(ReadOnlySpan<byte> sid)
    {
        if (sid.Length != 16) throw new ArgumentException("the seed is the 16-octet SID", nameof(sid));
        _aes = Aes.Create();
        _aes.Key = sid.ToArray();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _encrypt = _aes.CreateEncryptor();
    }

    /// <summary>Algorithm Unif, steps U2-U4: the next uniform 32-bit value (in the low half).</summary>
    public ulong NextUniform()
    {
        int i = _counter[15] & 3;
        // U2: a new block every fourth output, the encryption of the counter's current value.
        if (i == 0) _encrypt.TransformBlock(_counter, 0, 16, _block, 0);
        // U3: increment the counter as one unsigned 128-bit big-endian number.
        for (int j = 15; j >= 0; j--)
            if (++_counter[j] != 0) break;
        // U4: the i-th quartet of octets, high-order octets first.
        return BinaryPrimitives.ReadUInt32BigEndian(_block.AsSpan(4 * i));
    }

    /// <summary>Algorithm S: an exponential deviate of mean 1 in 32.32 fixed point (RFC 4656 §5.1, Appendix A).</summary>
    public ulong NextExponential()
    {
        // S1: get U and shift off the leading ones and the first zero; j counts the ones.
        ulong u = NextUniform();
        uint j = 0;
        while ((u & Bit31) != 0 && j < 32)
        {
            u <<= 1;
            j++;
        }
        u <<= 1;
        u &= 0xFFFF_FFFF;
        ulong jj = (ulong)j << 32;
        // S2: immediate acceptance, X = j·ln2 + U. ("In the rare case that the zero has not been found"
        // U is 0 here and the result is 32·ln2, as §5.1 prescribes.)
        if (u < Ln2) return Multiply(jj, Ln2) + u;
        // S3: the least k ≥ 2 with U < Q[k] (K when none: the Appendix A loop bound), then V = min of k uniforms.
        int k;
        for (k = 2; k < K; k++)
            if (u < Q[k]) break;
        ulong v = NextUniform();
        for (int n = 2; n <= k; n++)
        {
            ulong t = NextUniform();
            if (t < v) v = t;
        }
        // S4: X = (j + V)·ln2.
        return Multiply(jj + v, Ln2);
    }

    /// <summary>RFC 4656 §5.2 multiplication of 32.32 numbers: (u × v) &gt;&gt; 32 of the exact product, kept to 64 bits.</summary>
    public static ulong Multiply(ulong u, ulong v) => (ulong)(((UInt128)u * v) >> 32);

    public void Dispose()
    {
        _encrypt.Dispose();
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_block);
    }
}
