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
}
