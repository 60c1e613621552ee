using System.Text;
using TwampProbe.Cli;
using TwampProbe.Config;
using TwampProbe.Tests.Control;

namespace TwampProbe.Tests.Cli;

/// <summary>What <c>serve</c> and <c>check-config</c> read before binding anything (shared Load).</summary>
[Collection(LogCollection.Name)] // changes ServeCommand.DefaultKeyFilePath for the process
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServeLoadTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("tp-load").FullName;

    public void Dispose()
    {
        ServeCommand.DefaultKeyFilePath = ServeCommand.DefaultKeyFile;
        Directory.Delete(_dir, true);
    }

    string Write(string name, string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    static string KeyLine(string id, string secret) => $"{id}\t{Convert.ToHexString(Encoding.UTF8.GetBytes(secret)).ToLowerInvariant()}\n";

    [Fact]
    public void DefaultKeyFileIsReadAlsoWithAConfigFile()
    {
        ServeCommand.DefaultKeyFilePath = Write("default.pfs", KeyLine("alice", "s3cret"));
        var conf = Write("twampprobe.conf", "test-ports 20000-20100\n");

        var (server, _) = ServeCommand.Load(ServeCommand.ParseOptions(["-c", conf]));

        Assert.Equal(1, server.Keys.Count);
        Assert.True(server.OfferedModes.HasFlag(Protocol.Wire.TwampModes.Encrypted));
    }

    [Fact]
    public void KeyfileNoneOptsOutOfTheDefaultKeyFile()
    {
        ServeCommand.DefaultKeyFilePath = Write("default.pfs", KeyLine("alice", "s3cret"));
        var conf = Write("twampprobe.conf", "keyfile none\n");

        var (server, _) = ServeCommand.Load(ServeCommand.ParseOptions(["-c", conf]));

        Assert.Equal(0, server.Keys.Count);
    }

    [Fact]
    public void KeyFileErrorNamesTheConfigLineThatNamedTheFile()
    {
        var keys = Write("keys.pfs", KeyLine("alice", "s3cret"), UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var conf = Write("twampprobe.conf", $"# probe\n\nkeyfile {keys}\n");

        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["-c", conf])));

        Assert.StartsWith($"{conf}:3: keyfile: {keys}: key file is readable by group/other", e.Message);
    }

    [Fact]
    public void UserThatDoesNotExistIsAConfigErrorNamingFileAndLine()
    {
        var conf = Write("twampprobe.conf", "test-ports 20000-20100\nuser nosuchuser-tp\n");

        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["-c", conf])));

        Assert.StartsWith($"{conf}:2: user: 'nosuchuser-tp' does not exist", e.Message);
    }

    // --- whole-configuration checks name the line (first-use review, finding 2) ---

    [Fact]
    public void SecureModesWithKeyfileNoneNameTheModesLineAndTheKeyfileLine()
    {
        ServeCommand.DefaultKeyFilePath = Path.Combine(_dir, "absent.pfs");
        var conf = Write("bad.conf", "# probe\nmodes auth\nkeyfile none\n");

        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["-c", conf])));

        Assert.StartsWith($"{conf}:2: modes: auth needs key identities, but {conf}:3 says 'keyfile none'", e.Message);
    }

    [Fact]
    public void SecureModesWithoutAnyKeyfileNameTheModesLine()
    {
        ServeCommand.DefaultKeyFilePath = Path.Combine(_dir, "absent.pfs");
        var conf = Write("bad.conf", "test-ports 20000-20100\nmodes unauth,enc,mixed\n");

        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["-c", conf])));

        Assert.StartsWith($"{conf}:2: modes: enc,mixed need key identities, but no keyfile is configured", e.Message);
    }

    [Fact]
    public void SecureModesFromAFlagNameTheFlag()
    {
        ServeCommand.DefaultKeyFilePath = Path.Combine(_dir, "absent.pfs");

        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["--modes", "auth"])));

        Assert.StartsWith("--modes auth: auth needs key identities", e.Message);
    }

    [Fact]
    public void AMissingKeyFileFromAFlagNamesTheFlagNotACommandLinePseudoLine()
    {
        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["--keyfile", "/nonexistent"])));

        Assert.Equal("--keyfile /nonexistent: key file not found", e.Message);
    }

    [Fact]
    public void AUserThatDoesNotExistFromAFlagNamesTheFlag()
    {
        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["--user", "nosuchuser-tp"])));

        Assert.StartsWith("--user nosuchuser-tp: 'nosuchuser-tp' does not exist", e.Message);
    }

    [Fact]
    public void ABadValueOfAFlagNamesTheFlag()
    {
        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["--servwait=0"])));

        Assert.StartsWith("--servwait 0: '0' is not a whole number in 1..86400", e.Message);
    }

    [Fact]
    public void DuplicateListenFailsCheckConfigAndServeAlikeBeforeBinding()
    {
        var conf = Write("dup.conf", "listen 127.0.77.10\nlisten 127.0.77.10\n");

        var e = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["-c", conf])));
        var check = Assert.Throws<ConfigException>(() => ServeCommand.Load(ServeCommand.ParseOptions(["-c", conf], "check-config")));

        Assert.StartsWith($"{conf}:2: listen: 127.0.77.10:862 is given twice (first at {conf}:1)", e.Message);
        Assert.Equal(e.Message, check.Message);
    }
}
