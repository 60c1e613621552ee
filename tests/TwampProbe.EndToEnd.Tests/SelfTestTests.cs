using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary><c>twampprobe self-test</c>: the per-packet crypto's known-answer checks inside the published binary.</summary>
public sealed class SelfTestTests
{
    [Fact]
    public void SelfTestPassesEveryVectorOnTheCpuInstructionsAndTheFallbacks()
    {
        var r = Binary.Run("self-test");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // x86-64: AES on AES-NI where the CPU has it, SHA-1 through OpenSSL's compression (SHA-NI where present).
        string aes = System.Runtime.Intrinsics.X86.Aes.IsSupported ? "x86 AES-NI" : "BCL (OpenSSL)";
        Assert.StartsWith($"per-packet crypto: AES: {aes}; SHA-1: OpenSSL SHA1_Transform", lines[0]);
        Assert.Equal(26, lines.Count(l => l.StartsWith("ok   ", StringComparison.Ordinal)));
        Assert.Contains("ok   fallback twamp_E (mode 4) sender and reflector packets", lines);
        Assert.Contains("ok   SP 800-38A F.2.2 AES-128 CBC decrypt", lines);
        Assert.Contains("ok   RFC 2202 HMAC-SHA1 test case 7", lines);
        Assert.Equal("self-test: all 26 checks passed", lines[^1]);
    }

    [Fact]
    public void TimingPrintsTheCostOfEachOperationPerMode()
    {
        var r = Binary.Run("self-test --timing");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains(r.Stdout.Split('\n'), l => l.StartsWith("timing auth: sender protect ", StringComparison.Ordinal) && l.EndsWith(" ns", StringComparison.Ordinal));
        Assert.Contains(r.Stdout.Split('\n'), l => l.StartsWith("timing enc: sender protect ", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownArgumentIsAUsageError()
    {
        var r = Binary.Run("self-test --bogus");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("self-test takes no arguments", r.Stderr);
    }
}
