using TwampProbe.Protocol.Crypto;
using Xunit;
using static TwampProbe.Protocol.Tests.TestHex;

namespace TwampProbe.Protocol.Tests.Crypto;

public class TokenTests
{
    // PROTOCOL.md §13 (twamp_A.pcapng).
    static readonly byte[] Salt = B("793c4b8a692cec2a2a3b884a5a9bb65e");
    static readonly byte[] Challenge = B("af915712276a3077faa60f4dcdc6ee82");
    static readonly byte[] K = B("07de3337195076dcb580eb6b8ee3d257");
    static readonly byte[] WireToken = B("fc81246a8896a90e51e2187d13ca3f73 b82c031d8e3aaea52d9aa0bee56cc855 10072b1e2f7b0339cb877b908350a725 55d1835ad356e057f136e6fb049d75f8");
    const string AesSessionKey = "fc63576e5be122e91c9b05b17d6f614a";
    const string HmacSessionKey = "85aeec0618216b7f20eef056684d2d253a5ce1640463143069c42791e32d653f";

    static SessionKeys FixedKeys() => new(
        Enumerable.Range(0x10, 16).Select(i => (byte)i).ToArray(),
        Enumerable.Range(0x40, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void CreatedTokenOpensToTheSameSessionKeys()
    {
        var keys = FixedKeys();
        byte[] token = Token.Create(K, Challenge, keys);
        Assert.Equal(Token.Length, token.Length);
        var opened = Token.Open(K, token, Challenge);
        Assert.NotNull(opened);
        Assert.Equal(keys.AesKey, opened.AesKey);
        Assert.Equal(keys.HmacKey, opened.HmacKey);
    }

    [Fact]
    public void CreateWithTheCaptureKeysReproducesTheWireToken()
    {
        // AES-CBC(K, IV 0) of Challenge ‖ AES key ‖ HMAC key is deterministic: twping's token byte for byte.
        var keys = new SessionKeys(B(AesSessionKey), B(HmacSessionKey));
        Assert.Equal(H(WireToken), H(Token.Create(K, Challenge, keys)));
    }

    [Fact]
    public void WrongChallengeTokenIsRejected()
    {
        byte[] token = Token.Create(K, Challenge, FixedKeys());
        byte[] other = Challenge.ToArray();
        other[15] ^= 0x80;
        Assert.Null(Token.Open(K, token, other));
    }

    [Fact]
    public void WrongKeyTokenIsRejected()
    {
        byte[] token = Token.Create(K, Challenge, FixedKeys());
        byte[] wrongKey = K.ToArray();
        wrongKey[0] ^= 0x01;
        Assert.Null(Token.Open(wrongKey, token, Challenge));
    }

    [Fact]
    public void PassphraseSaltAndCountGiveTheCaptureKey()
    {
        byte[] key = SharedSecret.DeriveKey("testsecret-twamp-2024"u8, Salt, 2048);
        Assert.Equal(H(K), H(key));
    }

    [Fact]
    public void HexTextOfThePassphraseDoesNotGiveTheCaptureKey()
    {
        // PROTOCOL.md §4.1: PBKDF2 runs over the hex-decoded octets, not the pfs hex text.
        byte[] key = SharedSecret.DeriveKey("746573747365637265742d7477616d702d32303234"u8, Salt, 2048);
        Assert.NotEqual(H(K), H(key));
    }

    [Fact]
    public void CaptureTokenOpensToTheListedSessionKeys()
    {
        var keys = Token.Open(K, WireToken, Challenge);
        Assert.NotNull(keys);
        Assert.Equal(AesSessionKey, H(keys.AesKey));
        Assert.Equal(HmacSessionKey, H(keys.HmacKey));
    }

    [Fact]
    public void SessionKeysRejectWrongLengths()
    {
        Assert.Throws<ArgumentException>(() => new SessionKeys(new byte[15], new byte[32]));
        Assert.Throws<ArgumentException>(() => new SessionKeys(new byte[16], new byte[20]));
    }

    [Fact]
    public void RandomSessionKeysDiffer()
    {
        using var a = SessionKeys.CreateRandom();
        using var b = SessionKeys.CreateRandom();
        Assert.NotEqual(H(a.AesKey), H(b.AesKey));
        Assert.NotEqual(H(a.HmacKey), H(b.HmacKey));
    }
}
