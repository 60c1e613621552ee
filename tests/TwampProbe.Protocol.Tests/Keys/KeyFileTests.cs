using TwampProbe.Protocol.Keys;
using Xunit;

namespace TwampProbe.Protocol.Tests.Keys;

public class KeyFileTests
{
    const string TestuserLine = "testuser\t746573747365637265742d7477616d702d32303234";

    [Fact]
    public void GoldenPfsFileDecodesTheHexPassphrase()
    {
        var keys = KeyFile.Parse(File.ReadAllText(Golden.TwampCapture.FixturePath("golden.pfs")), "golden.pfs");
        Assert.True(keys.TryGetPassphrase("testuser", out var p));
        Assert.Equal("testsecret-twamp-2024"u8.ToArray(), p);
        Assert.Equal(1, keys.Count);
    }

    [Fact]
    public void CommentsBlankLinesSpacesAndCrLfAreAccepted()
    {
        string text = "# perfSONAR pfs\r\n\r\n   \r\n" + TestuserLine + "\r\nalice    616263\r\n  bob \t 00ff  \r\n#last";
        var keys = KeyFile.Parse(text, "k.pfs");
        Assert.Equal(3, keys.Count);
        Assert.True(keys.TryGetPassphrase("alice", out var a));
        Assert.Equal("abc"u8.ToArray(), a);
        Assert.True(keys.TryGetPassphrase("bob", out var b));
        Assert.Equal(new byte[] { 0x00, 0xff }, b);
        Assert.True(keys.TryGetPassphrase("testuser", out var t));
        Assert.Equal("testsecret-twamp-2024"u8.ToArray(), t);
    }

    [Fact]
    public void UpperCaseHexIsAccepted()
    {
        Assert.True(KeyFile.Parse("u ABCDEF", "k").TryGetPassphrase("u", out var p));
        Assert.Equal(new byte[] { 0xAB, 0xCD, 0xEF }, p);
    }

    [Theory]
    [InlineData("test")]
    [InlineData("testuser2")]
    [InlineData("TESTUSER")]
    [InlineData("")]
    public void OnlyTheFullIdentityMatches(string identity)
    {
        var keys = KeyFile.Parse(TestuserLine, "k.pfs");
        Assert.False(keys.TryGetPassphrase(identity, out var p));
        Assert.Empty(p);
    }

    [Theory]
    [InlineData("u 616", 1, "hex")]                    // odd length
    [InlineData("# c\nu 61zz", 2, "hex")]               // non-hex
    [InlineData("\n\nonlyidentity", 3, "expected")]     // missing field
    [InlineData("u 61 62", 1, "expected")]              // extra field
    [InlineData("u 61\r\nv 62\r\nu 63", 3, "twice")]    // duplicate identity
    public void ErrorNamesFileAndLine(string text, int line, string reason)
    {
        var e = Assert.Throws<KeyFileException>(() => KeyFile.Parse(text, "keys.pfs"));
        Assert.Equal(("keys.pfs", line), (e.File, e.Line));
        Assert.StartsWith($"keys.pfs:{line}: ", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void IdentityLongerThan80OctetsIsAnError()
    {
        var e = Assert.Throws<KeyFileException>(() => KeyFile.Parse("ok 61\n" + new string('x', 81) + " 61", "keys.pfs"));
        Assert.Equal(2, e.Line);
        Assert.Contains("80", e.Message);
    }

    [Fact]
    public void IdentityOf80OctetsIsAccepted() => Assert.Equal(1, KeyFile.Parse(new string('x', 80) + " 61", "k").Count);

    [Fact]
    public void MultiOctetUtf8IdentityCountsOctetsNotCharacters()
    {
        // 41 × "é" = 82 octets in UTF-8 (41 characters).
        Assert.Throws<KeyFileException>(() => KeyFile.Parse(new string('é', 41) + " 61", "k"));
    }

    [Fact]
    public void FormatLineWritesLowerCaseHexThatParsesBack()
    {
        string line = KeyFile.FormatLine("testuser", "testsecret-twamp-2024");
        Assert.Equal(TestuserLine, line);
        Assert.True(KeyFile.Parse(line, "k").TryGetPassphrase("testuser", out var p));
        Assert.Equal("testsecret-twamp-2024"u8.ToArray(), p);
    }

    [Fact]
    public void EmptyFileHasNoIdentities() => Assert.Equal(0, KeyFile.Parse("\n# nothing\n", "k").Count);
}
