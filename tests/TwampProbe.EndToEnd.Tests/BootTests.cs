using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// <c>make boot-test</c> in <c>make test</c>, for one board of each architecture: raspberrypi4
/// (arm64, qemu-system-aarch64 -M virt -cpu cortex-a72) and prosilient-p2440 (x86_64,
/// qemu-system-x86_64 -M q35; KVM when it works, else TCG), each from its <c>make image</c>
/// tarball (the P2440's packs the published x86-64 binary the other tests run: IMAGE_BINARY) with
/// Debian's kernel, BusyBox, glibc and libssl (scripts/boot-test.sh). The P2440 runs
/// its own configuration unchanged: the guest NIC is renamed to its enp1s0; its LEDs and PHC do not
/// exist in qemu (the daemon warns and goes on). generic-x86_64 is the same image as the P2440 but
/// for its configuration, and is left to <c>make boot-test BOARD=generic-x86_64</c>.
/// From a private network namespace over a tap: every mode 50/50, the init script's reload, restart
/// and stop (each answering at once after it says OK), boot-to-first-reply and the daemon's VmRSS.
/// Needs root (netns, tap), as in CI.
/// </summary>
[Collection(Collections.Image)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BootTests(RaspberryPiImage image, ITestOutputHelper output)
{
    [Theory]
    [InlineData("raspberrypi4", "aarch64")]
    [InlineData("prosilient-p2440", "x86_64")]
    public void BoardImageBootsInQemuAndMeasuresEveryMode(string board, string machine)
    {
        if (board == "raspberrypi4")
        {
            var build = image.Build; // shared with ImageAndArm64Tests
            Assert.True(build.ExitCode == 0, $"make image failed ({build.ExitCode}):\n{build.Output}");
        }
        else
        {
            // The x86-64 image around the binary every other test runs (make publish's, of this tree): a
            // publish of its own would compile the same tree once more (about 1.5 min of ILC on 2 CPUs).
            var build = Binary.RunFile("/usr/bin/env", $"IMAGE_BINARY={Binary.Path} {Path.Combine(ImageAndArm64Tests.RepoRoot, "scripts", "make-image.sh")} {board}",
                20 * 60_000, ImageAndArm64Tests.RepoRoot);
            Assert.True(build.ExitCode == 0, $"make image BOARD={board} failed ({build.ExitCode}):\n{build.Stdout}{build.Stderr}");
        }

        var deps = Binary.RunFile("make", "-s deps-boot", 20 * 60_000, ImageAndArm64Tests.RepoRoot);
        Assert.True(deps.ExitCode == 0, $"make deps-boot exited {deps.ExitCode}:\n{deps.Stdout}{deps.Stderr}");

        var sw = Stopwatch.StartNew();
        var r = Binary.RunFile("/usr/bin/env", $"CLIENT={Binary.Path} BOOT_TEST_TIMEOUT=360 BOOT_IMAGE_READY=1 {Path.Combine(ImageAndArm64Tests.RepoRoot, "scripts", "boot-test.sh")} {board}",
            450_000, ImageAndArm64Tests.RepoRoot);
        output.WriteLine($"scripts/boot-test.sh {board}: {sw.Elapsed.TotalSeconds:F0} s, exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.True(r.ExitCode == 0, $"boot-test.sh exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");

        var o = r.Stdout;
        Assert.Matches($@"boot-test: boot: BOOT-OK after [0-9.]+ s \(BOOT-OK rc=0 .*machine={machine} .*boot-to-first-reply [0-9.]+ s", o);
        foreach (var mode in new[] { "unauth", "auth", "enc", "mixed" })
            Assert.Contains($"boot-test: mode {mode}: 50/50 (mode {mode} ", o);
        Assert.Matches(@"boot-test: daemon in the guest: RSS pid=[0-9]+ VmRSS=[0-9]+ kB", o);
        Assert.Matches(@"boot-test: reload: OK .*enc ping 20/20, log: reloaded configuration", o);
        Assert.Matches(@"boot-test: restart: OK .*enc ping 20/20", o);
        Assert.Matches(@"boot-test: daemon in the guest after restart \(pid [0-9]+ -> [0-9]+\)", o);
        Assert.Contains("boot-test: stop: OK", o);
        Assert.Contains("refuses, ping exit 5", o);
        Assert.Contains("boot-test: poweroff: qemu exited", o);
        Assert.Contains($"boot-test: OK: {board} booted in qemu ({machine}", o);
    }
}
