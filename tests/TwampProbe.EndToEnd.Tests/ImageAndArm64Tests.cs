using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// The appliance packaging: rootfs-overlay's default configuration and every board's merged
/// configuration pass check-config; <c>make image BOARD=raspberrypi4</c> produces a root file system
/// tarball with an aarch64 binary; the arm64 binary serves and pings under qemu-user
/// (scripts/arm64-smoke.sh). The image is built once per test run (<see cref="RaspberryPiImage"/>).
/// </summary>
[Collection(Collections.Image)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ImageAndArm64Tests(RaspberryPiImage image, ITestOutputHelper output)
{
    const ushort EmAarch64 = 183;

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TwampProbe.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("TwampProbe.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Every directory under board/ with a board.env.</summary>
    public static string[] BoardNames() =>
        [.. Directory.GetDirectories(Path.Combine(RepoRoot, "board"))
            .Where(d => File.Exists(Path.Combine(d, "board.env")))
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    public static TheoryData<string> Boards() => new(BoardNames());

    [Fact]
    public void DefaultConfigPassesCheckConfig()
    {
        var conf = Path.Combine(RepoRoot, "rootfs-overlay", "etc", "twampprobe", "twampprobe.conf");
        var r = Binary.Run($"check-config -c {conf}");
        Assert.True(r.ExitCode == 0, $"check-config exited {r.ExitCode}:\n{r.Stdout}{r.Stderr}");
        Assert.Contains(": OK", r.Stdout);
        // Every directive is shown (commented out) in the default file, as its header says: all that
        // the parser knows, not a list kept here (which had fallen behind the OWAMP and limit directives).
        var text = File.ReadAllText(conf);
        var missing = TwampProbe.Config.ConfigFile.Describe().Select(d => d.Name)
            .Where(directive => !System.Text.RegularExpressions.Regex.IsMatch(text, $@"(?m)^#{directive} ")).ToList();
        Assert.True(missing.Count == 0, $"not shown in {conf}: {string.Join(", ", missing)}");
    }

    [Fact]
    public void BoardListIsComplete() =>
        Assert.Equal(["generic-x86_64", "prosilient-p2440", "raspberrypi4"], BoardNames());

    [Theory]
    [MemberData(nameof(Boards))]
    public void BoardPostBuildInstallsAValidConfiguration(string board)
    {
        using var tmp = new TempDir();
        var root = tmp.File("root");
        var post = Binary.RunFile(Path.Combine(RepoRoot, "board", board, "post-build.sh"), $"{root} {Binary.Path}", 60_000, RepoRoot);
        Assert.True(post.ExitCode == 0, $"post-build.sh exited {post.ExitCode}:\n{post.Stdout}{post.Stderr}");

        var conf = Path.Combine(root, "etc", "twampprobe", "twampprobe.conf");
        var r = Binary.Run($"check-config -c {conf}");
        Assert.True(r.ExitCode == 0, $"{board}: check-config exited {r.ExitCode}:\n{r.Stdout}{r.Stderr}");
        Assert.EndsWith(File.ReadAllText(Path.Combine(RepoRoot, "board", board, "twampprobe.conf")), File.ReadAllText(conf));

        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(root, "usr", "sbin", "twampprobe")));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(root, "etc", "init.d", "S50twampprobe")));
        var example = Path.Combine(root, "etc", "twampprobe", "twampprobe.pfs.example");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(example));
        Assert.True(File.Exists(Path.Combine(root, "lib", "systemd", "system", "twampprobe.service")));
        Assert.True(File.Exists(Path.Combine(root, "etc", "sysctl.d", "60-twampprobe.conf")));

        // The example key file is a valid pfs file at the mode it is installed with.
        var withKeys = tmp.File("keys.conf");
        File.WriteAllText(withKeys, File.ReadAllText(conf) + $"\nkeyfile {example}\nmodes unauth,auth,enc,mixed\n");
        var k = Binary.Run($"check-config -c {withKeys}");
        Assert.True(k.ExitCode == 0, $"{board}: example key file rejected:\n{k.Stdout}{k.Stderr}");
        Assert.Contains("(1 key identities)", k.Stdout);
    }

    [Fact]
    public void MakeImageWithoutBoardListsTheBoards()
    {
        var r = Binary.RunFile("make", "-s image", 60_000, RepoRoot);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("BOARD is required", r.Stderr);
        var s = Binary.RunFile(Path.Combine(RepoRoot, "scripts", "make-image.sh"), "no-such-board", 60_000, RepoRoot);
        Assert.Equal(2, s.ExitCode);
        Assert.Contains("raspberrypi4", s.Stderr);
        Assert.Contains("prosilient-p2440", s.Stderr);
    }

    [Fact]
    public void RaspberryPiImageHasTheArm64BinaryAndTheServiceFiles()
    {
        var build = image.Build;
        output.WriteLine($"make image BOARD=raspberrypi4: {build.Elapsed.TotalSeconds:F0} s, exit {build.ExitCode}");
        Assert.True(build.ExitCode == 0, $"make image failed ({build.ExitCode}):\n{build.Output}");
        Assert.True(File.Exists(image.Tarball), $"{image.Tarball} missing:\n{build.Output}");

        var entries = new Dictionary<string, (UnixFileMode Mode, int Uid, int Gid, byte[] Head)>();
        using (var file = File.OpenRead(image.Tarball))
        using (var gz = new GZipStream(file, CompressionMode.Decompress))
        using (var tar = new TarReader(gz))
        {
            while (tar.GetNextEntry() is { } e)
            {
                var head = new byte[64];
                int n = 0;
                if (e.DataStream is { } data)
                    while (n < head.Length && data.Read(head, n, head.Length - n) is int read and > 0) n += read;
                entries[e.Name] = (e.Mode, e.Uid, e.Gid, head[..n]);
            }
        }
        output.WriteLine(string.Join("\n", entries.Keys));

        Assert.All(entries, kv => Assert.True(kv.Value.Uid == 0 && kv.Value.Gid == 0, $"{kv.Key} not owned by root:root"));
        Assert.True(entries.TryGetValue("./usr/sbin/twampprobe", out var bin), "./usr/sbin/twampprobe missing");
        Assert.Equal("\x7f" + "ELF", System.Text.Encoding.ASCII.GetString(bin.Head, 0, 4));
        Assert.Equal(EmAarch64, BitConverter.ToUInt16(bin.Head, 18)); // e_machine, little-endian
        Assert.True(bin.Mode.HasFlag(UnixFileMode.UserExecute | UnixFileMode.OtherExecute), "binary not 755");
        Assert.Contains("./etc/twampprobe/twampprobe.conf", entries.Keys);
        Assert.True(entries.TryGetValue("./etc/init.d/S50twampprobe", out var init), "./etc/init.d/S50twampprobe missing");
        Assert.True(init.Mode.HasFlag(UnixFileMode.UserExecute), "S50twampprobe is not executable");
        Assert.Contains("./lib/systemd/system/twampprobe.service", entries.Keys);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, entries["./etc/twampprobe/twampprobe.pfs.example"].Mode);
    }

    [Fact]
    public void Arm64BinaryServesAndPingsUnderQemu()
    {
        var build = image.Build;
        Assert.True(build.ExitCode == 0, $"make image failed ({build.ExitCode}):\n{build.Output}");

        var sw = Stopwatch.StartNew();
        var r = Binary.RunFile(Path.Combine(RepoRoot, "scripts", "arm64-smoke.sh"), "", 300_000, RepoRoot);
        output.WriteLine($"scripts/arm64-smoke.sh: {sw.Elapsed.TotalSeconds:F0} s, exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.True(r.ExitCode == 0, $"arm64-smoke.sh exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("per-packet crypto: AES: ARMv8 AES; SHA-1: ARMv8 SHA1", r.Stdout);
        Assert.Contains("self-test: all 26 checks passed", r.Stdout);

        // The JSON printed between the "-- ping JSON" line and the next "-- " line.
        var lines = r.Stdout.Split('\n');
        int from = Array.FindIndex(lines, l => l.StartsWith("-- ping JSON", StringComparison.Ordinal));
        Assert.True(from >= 0, r.Stdout);
        int to = Array.FindIndex(lines, from + 1, l => l.StartsWith("-- ", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(string.Join("\n", lines[(from + 1)..(to < 0 ? lines.Length : to)]));
        Assert.Equal(20, doc.RootElement.GetProperty("packets_received").GetInt32());
        Assert.Equal("user space", doc.RootElement.GetProperty("timestamp_source").GetString());
        Assert.Contains("fall back to user space", r.Stdout);
    }
}

/// <summary>One <c>make image BOARD=raspberrypi4</c> per test run, on first use (the fixture of the "image" collection: ImageAndArm64Tests and BootTests share it).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RaspberryPiImage
{
    public sealed record Result(int ExitCode, string Output, TimeSpan Elapsed);

    readonly Lazy<Result> _build = new(() =>
    {
        var sw = Stopwatch.StartNew();
        var r = Binary.RunFile("make", "image BOARD=raspberrypi4", 20 * 60_000, ImageAndArm64Tests.RepoRoot);
        return new Result(r.ExitCode, r.Stdout + r.Stderr, sw.Elapsed);
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public Result Build => _build.Value;
    public string Tarball => Path.Combine(ImageAndArm64Tests.RepoRoot, "out", "raspberrypi4", "rootfs.tar.gz");
}
