using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// AES-128 rounds on x86 AES-NI. AESENC = ShiftRows, SubBytes, MixColumns, AddRoundKey; AESENCLAST omits
/// MixColumns; AESDEC/AESDECLAST are the inverse rounds of the equivalent inverse cipher.
/// </summary>
internal readonly struct X86AesRounds : IAesRounds
{
    public static uint SubWord(uint word) => X86Aes.EncryptLast(Vector128.Create(word).AsByte(), Vector128<byte>.Zero).AsUInt32().ToScalar();

    public static Vector128<byte> InverseMixColumns(Vector128<byte> roundKey) => X86Aes.InverseMixColumns(roundKey);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Encrypt(Vector128<byte> s, ReadOnlySpan<Vector128<byte>> k)
    {
        s ^= k[0];
        s = X86Aes.Encrypt(s, k[1]);
        s = X86Aes.Encrypt(s, k[2]);
        s = X86Aes.Encrypt(s, k[3]);
        s = X86Aes.Encrypt(s, k[4]);
        s = X86Aes.Encrypt(s, k[5]);
        s = X86Aes.Encrypt(s, k[6]);
        s = X86Aes.Encrypt(s, k[7]);
        s = X86Aes.Encrypt(s, k[8]);
        s = X86Aes.Encrypt(s, k[9]);
        return X86Aes.EncryptLast(s, k[10]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Decrypt(Vector128<byte> s, ReadOnlySpan<Vector128<byte>> k)
    {
        s ^= k[0];
        s = X86Aes.Decrypt(s, k[1]);
        s = X86Aes.Decrypt(s, k[2]);
        s = X86Aes.Decrypt(s, k[3]);
        s = X86Aes.Decrypt(s, k[4]);
        s = X86Aes.Decrypt(s, k[5]);
        s = X86Aes.Decrypt(s, k[6]);
        s = X86Aes.Decrypt(s, k[7]);
        s = X86Aes.Decrypt(s, k[8]);
        s = X86Aes.Decrypt(s, k[9]);
        return X86Aes.DecryptLast(s, k[10]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> DecryptFirst(Vector128<byte> s, Vector128<byte> k0) => s ^ k0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> DecryptMiddle(Vector128<byte> s, Vector128<byte> k) => X86Aes.Decrypt(s, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> DecryptLast(Vector128<byte> s, Vector128<byte> k9, Vector128<byte> k10) =>
        X86Aes.DecryptLast(X86Aes.Decrypt(s, k9), k10);
}
