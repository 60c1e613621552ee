using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TwampProbe.Linux.Crypto;

/// <summary>
/// OpenSSL's SHA-1 compression (<c>SHA1_Transform</c>, libcrypto), over all the blocks of a hash per call
/// with the state kept in one context meanwhile: on x86 it runs on the
/// SHA-NI instructions, which .NET exposes no intrinsics for, and costs a fifth of portable C#. Resolved
/// at run time, so a libcrypto without it (built with no-deprecated: the function is deprecated in 3.0
/// but exported) simply leaves <see cref="IsAvailable"/> false. SHA1_Transform reads and writes only
/// h0-h4 of the SHA_CTX and returns in well under a microsecond without blocking or calling back:
/// called without a GC transition.
/// </summary>
public static unsafe class OpenSslSha1
{
    static readonly delegate* unmanaged[SuppressGCTransition]<ShaCtx*, byte*, int> Transform = Resolve();

    /// <summary>
    /// OpenSSL's <c>SHA_CTX</c> (openssl/sha.h: h0-h4, Nl, Nh, data[16], num — 24 words, 96 octets), of
    /// which SHA1_Transform uses h0-h4. Named fields and an explicit size rather than fixed buffers: a
    /// local with a fixed buffer gets the method a stack-protection cookie, and with it copies of the
    /// span arguments made through 16-octet reloads of 8-octet stores (a store-forwarding stall per call).
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = 96)]
    struct ShaCtx
    {
        public uint H0, H1, H2, H3, H4;
    }

    public static bool IsAvailable => Transform != null;

    static delegate* unmanaged[SuppressGCTransition]<ShaCtx*, byte*, int> Resolve()
    {
        foreach (var name in new[] { "libcrypto.so.3", "libcrypto.so.1.1" })
            if (NativeLibrary.TryLoad(name, out var lib))
                return NativeLibrary.TryGetExport(lib, "SHA1_Transform", out var f)
                    ? (delegate* unmanaged[SuppressGCTransition]<ShaCtx*, byte*, int>)f
                    : null;
        return null;
    }

    /// <summary>
    /// Updates the five state words with each 64-octet block of <paramref name="blocks"/> in turn (a
    /// <c>Sha1BlockFunction</c>): the state is copied into the context once and out once per call, not per block.
    /// </summary>
    /// <remarks>
    /// The context is not zeroed: SHA1_Transform reads only h0-h4, and zeroing 96 octets here takes
    /// AVX-512 stores whose dirty upper register state then slows OpenSSL's SSE code down fivefold.
    /// </remarks>
    [SkipLocalsInit]
    public static void Compress(Span<uint> state, ReadOnlySpan<byte> blocks)
    {
        int length = blocks.Length;
        if (Transform == null) throw new InvalidOperationException("libcrypto has no SHA1_Transform");
        if (state.Length < 5 || length == 0 || length % 64 != 0) throw new ArgumentException("SHA-1 compresses whole 64-octet blocks into 5 words");
        ShaCtx ctx;
        fixed (uint* h = &MemoryMarshal.GetReference(state))
        fixed (byte* p = &MemoryMarshal.GetReference(blocks))
        {
            // h0-h3 as one 16-octet copy each way: OpenSSL loads and stores them so, and a wide load of
            // several narrow recent stores would wait for them to reach the cache (no store forwarding).
            Vector128.Store(Vector128.Load(h), &ctx.H0);
            ctx.H4 = h[4];
            for (byte* block = p, end = p + length; block < end; block += 64) Transform(&ctx, block);
            Vector128.Store(Vector128.Load(&ctx.H0), h);
            h[4] = ctx.H4;
        }
    }
}
