using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ArmAes = System.Runtime.Intrinsics.Arm.Aes;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// AES-128 rounds on the ARMv8 Cryptography Extension. AESE = AddRoundKey, ShiftRows, SubBytes (the key
/// is added first); AESMC = MixColumns; AESD/AESIMC are their inverses. So round key 10 is XORed at the end.
/// </summary>
internal readonly struct ArmAesRounds : IAesRounds
{
    public static uint SubWord(uint word) => ArmAes.Encrypt(Vector128.Create(word).AsByte(), Vector128<byte>.Zero).AsUInt32().ToScalar();

    public static Vector128<byte> InverseMixColumns(Vector128<byte> roundKey) => ArmAes.InverseMixColumns(roundKey);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Encrypt(Vector128<byte> s, ReadOnlySpan<Vector128<byte>> k)
    {
        var last = k[10];
        s = ArmAes.MixColumns(ArmAes.Encrypt(s, k[0]));
        s = ArmAes.MixColumns(ArmAes.Encrypt(s, k[1]));
        s = ArmAes.MixColumns(ArmAes.Encrypt(s, k[2]));
        s = ArmAes.MixColumns(ArmAes.Encrypt(s, k[3]));
        s = ArmAes.MixColumns(ArmAes.Encrypt(s, k[4]));
        s = ArmAes.MixColumns(ArmAes.Encrypt(s, k[5]));
        s = ArmAes.MixColumns(ArmAes.Encrypt(s, k[6]));
        s = ArmAes.MixColumns(ArmAes.Encrypt(s, k[7]));
        s = ArmAes.MixColumns(ArmAes.Encrypt(s, k[8]));
        return ArmAes.Encrypt(s, k[9]) ^ last;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Decrypt(Vector128<byte> s, ReadOnlySpan<Vector128<byte>> k)
    {
        var last = k[10];
        s = ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k[0]));
        s = ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k[1]));
        s = ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k[2]));
        s = ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k[3]));
        s = ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k[4]));
        s = ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k[5]));
        s = ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k[6]));
        s = ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k[7]));
        s = ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k[8]));
        return ArmAes.Decrypt(s, k[9]) ^ last;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> DecryptFirst(Vector128<byte> s, Vector128<byte> k0) => ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> DecryptMiddle(Vector128<byte> s, Vector128<byte> k) => ArmAes.InverseMixColumns(ArmAes.Decrypt(s, k));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> DecryptLast(Vector128<byte> s, Vector128<byte> k9, Vector128<byte> k10) => ArmAes.Decrypt(s, k9) ^ k10;
}
