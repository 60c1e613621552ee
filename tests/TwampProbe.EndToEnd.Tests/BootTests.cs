using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// BOOTS BOARD raspberrypi4 ONLY (arm64, qemu-system-aarch64 -M virt -cpu cortex-a72, TCG): the image of
/// <c>make image BOARD=raspberrypi4</c> with Debian's kernel, BusyBox, glibc and libssl, through
/// scripts/boot-test.sh (= <c>make boot-test BOARD=raspberrypi4</c>). The x86_64 boards
/// (<c>make boot-test BOARD=generic-x86_64</c>) are not booted here, to keep <c>make test</c> short.
/// From a private network namespace over a tap: every mode 50/50, the init script's reload, restart
/// and stop, boot-to-first-reply and the daemon's VmRSS. Needs root (netns, tap), as in CI.
/// </summary>
[Collection("binary")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BootTests(RaspberryPiImage image, ITestOutputHelper output) : IClassFixture<RaspberryPiImage>
{
    [Fact]
    public void RaspberryPi4ImageBootsInQemuAndMeasuresEveryMode()
    {
        var build = image.Build;
        Assert.True(build.ExitCode == 0, $"make image failed ({build.ExitCode}):\n{build.Output}");

        var deps = Binary.RunFile("make", "-s deps-boot", 20 * 60_000, ImageAndArm64Tests.RepoRoot);
        Assert.True(deps.ExitCode == 0, $"make deps-boot exited {deps.ExitCode}:\n{deps.Stdout}{deps.Stderr}");

        var sw = Stopwatch.StartNew();
        var r = Binary.RunFile("/usr/bin/env", $"CLIENT={Binary.Path} {Path.Combine(ImageAndArm64Tests.RepoRoot, "scripts", "boot-test.sh")} raspberrypi4",
            300_000, ImageAndArm64Tests.RepoRoot);
        output.WriteLine($"scripts/boot-test.sh raspberrypi4: {sw.Elapsed.TotalSeconds:F0} s, exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.True(r.ExitCode == 0, $"boot-test.sh exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");

        var o = r.Stdout;
        Assert.Matches(@"boot-test: boot: BOOT-OK after [0-9.]+ s \(BOOT-OK rc=0 .*machine=aarch64 .*boot-to-first-reply [0-9.]+ s", o);
        foreach (var mode in new[] { "unauth", "auth", "enc", "mixed" })
            Assert.Contains($"boot-test: mode {mode}: 50/50 (mode {mode} ", o);
        Assert.Matches(@"boot-test: daemon in the guest: RSS pid=[0-9]+ VmRSS=[0-9]+ kB", o);
        Assert.Matches(@"boot-test: reload: OK .*enc ping 20/20, log: reloaded configuration", o);
        Assert.Matches(@"boot-test: restart: OK .*enc ping 20/20", o);
        Assert.Matches(@"boot-test: daemon in the guest after restart \(pid [0-9]+ -> [0-9]+\)", o);
        Assert.Contains("boot-test: stop: OK", o);
        Assert.Contains("refuses, ping exit 5", o);
        Assert.Contains("boot-test: poweroff: qemu exited", o);
        Assert.Contains("boot-test: OK: raspberrypi4 booted in qemu (aarch64", o);
    }
}
