using TwampProbe.Config;

namespace TwampProbe.Tests.Config;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KeyFilesTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("twampprobe-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(UnixFileMode mode)
    {
        var path = Path.Combine(_dir, "keys.pfs");
        File.WriteAllText(path, "# keys\nalice\t736563726574\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void KeyFileReadableByOthersIsRefusedNamingTheFileAndChmod600()
    {
        var path = Write(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var e = Assert.Throws<ConfigException>(() => KeyFiles.Load(path, requirePrivate: true));

        Assert.Contains(path, e.Message);
        Assert.Contains("chmod 600", e.Message);
    }

    [Fact]
    public void PrivateKeyFileIsAccepted()
    {
        var path = Write(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var keys = KeyFiles.Load(path, requirePrivate: true);

        Assert.True(keys.TryGetPassphrase("alice", out var secret));
        Assert.Equal("secret"u8.ToArray(), secret);
    }

    [Fact]
    public void MissingKeyFileIsReportedByName()
    {
        var path = Path.Combine(_dir, "absent.pfs");

        var e = Assert.Throws<ConfigException>(() => KeyFiles.Load(path, requirePrivate: true));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void MalformedKeyFileIsReportedWithFileAndLine()
    {
        var path = Path.Combine(_dir, "bad.pfs");
        File.WriteAllText(path, "alice 736563726574\nbob xyz\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var e = Assert.Throws<ConfigException>(() => KeyFiles.Load(path, requirePrivate: true));

        Assert.StartsWith($"{path}:2:", e.Message);
    }
}
