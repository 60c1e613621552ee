using System.Buffers.Binary;
using System.Text;

namespace TwampProbe.Protocol.Wire.Control;

/// <summary>
/// Set-Up-Response, 164 octets, client → server, clear except the Token (RFC 4656 §3.1).
/// <code>
///   0   4 Mode (one offered mode; 0 = the client gives up)
///   4  80 KeyID (identity, UTF-8, zero padded; unused in mode 1)
///  84  64 Token = AES-CBC(K, IV 0) of Challenge ‖ AES session key ‖ HMAC session key
/// 148  16 Client-IV
/// </code>
/// In unauthenticated mode octets 4-163 are unused (written as zeros).
/// </summary>
public sealed record SetupResponse(TwampModes Mode, string KeyId, byte[] Token, byte[] ClientIv)
{
    public const int Size = 164;
    public const int KeyIdLength = 80;
    /// <summary>False when the KeyID octets were not valid UTF-8 (then <see cref="KeyId"/> is a lossy decoding that matches no identity).</summary>
    public bool KeyIdIsUtf8 { get; init; } = true;
    public const int TokenLength = 64;
    const int KeyIdOffset = 4, TokenOffset = 84, ClientIvOffset = 148;

    public static SetupResponse Unauthenticated(TwampModes mode) => new(mode, "", new byte[TokenLength], new byte[16]);

    public void Write(Span<byte> destination)
    {
        var d = destination[..Size];
        d.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(d, (uint)Mode);
        if (Encoding.UTF8.GetBytes(KeyId, d.Slice(KeyIdOffset, KeyIdLength)) > KeyIdLength)
            throw new ArgumentException("KeyID longer than 80 octets");
        Token.AsSpan().CopyTo(d.Slice(TokenOffset, TokenLength));
        ClientIv.AsSpan().CopyTo(d.Slice(ClientIvOffset, 16));
    }

    public static SetupResponse Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size) throw new ControlProtocolException($"Set-Up-Response is {Size} octets, got {source.Length}");
        var keyId = source.Slice(KeyIdOffset, KeyIdLength);
        int end = keyId.IndexOf((byte)0);
        if (end < 0) end = KeyIdLength;
        // A KeyID that is not UTF-8 names no identity: it is answered like an unknown one (Accept=1),
        // and in the unauthenticated mode, where the field is unused, it does not matter at all.
        string id;
        bool valid = true;
        try { id = new UTF8Encoding(false, true).GetString(keyId[..end]); }
        catch (DecoderFallbackException) { id = Encoding.UTF8.GetString(keyId[..end]); valid = false; }
        return new SetupResponse(
            (TwampModes)BinaryPrimitives.ReadUInt32BigEndian(source),
            id,
            source.Slice(TokenOffset, TokenLength).ToArray(),
            source.Slice(ClientIvOffset, 16).ToArray()) { KeyIdIsUtf8 = valid };
    }
}
