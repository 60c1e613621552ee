using System.Diagnostics;
using TwampProbe.Linux.Interop;
using TwampProbe.Linux.Security;
using Xunit;
using Xunit.Abstractions;

namespace TwampProbe.Linux.Tests;

public sealed unsafe class DescriptorsTests(ITestOutputHelper output)
{
    [Fact]
    public void RaisingPutsTheSoftLimitAtTheHardLimitAndReportsBoth()
    {
        int hard = Descriptors.HardLimit;
        // One below the hard limit: lowering it further could starve tests running in parallel.
        Descriptors.SetSoftLimit(hard - 1);
        Assert.Equal(hard - 1, Descriptors.Limit);
        var (before, after) = Descriptors.RaiseToHardLimit();
        Assert.Equal(hard - 1, before);
        Assert.Equal(hard, after);
        Assert.Equal(hard, Descriptors.Limit);
        Assert.Contains($"Max open files            {hard}", File.ReadAllText("/proc/self/limits"));
        // Already at the hard limit: nothing to do.
        Assert.Equal((hard, hard), Descriptors.RaiseToHardLimit());
    }

    [Fact]
    public void RlimitLayoutAndConstantMatchC()
    {
        const string program = """
            #include <stdio.h>
            #include <stddef.h>
            #include <sys/resource.h>
            int main(void) {
              printf("%zu %zu %d\n", sizeof(struct rlimit), offsetof(struct rlimit, rlim_max), (int)RLIMIT_NOFILE);
              return 0;
            }
            """;
        var dir = Directory.CreateTempSubdirectory("twampprobe-rlimit-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "r.c"), program);
            Process? cc;
            try { cc = Process.Start(new ProcessStartInfo("gcc", $"-o {dir}/r {dir}/r.c") { RedirectStandardError = true }); }
            catch (System.ComponentModel.Win32Exception) { output.WriteLine("SKIPPED: gcc not found"); return; }
            cc!.WaitForExit();
            Assert.Equal(0, cc.ExitCode);
            using var run = Process.Start(new ProcessStartInfo($"{dir}/r") { RedirectStandardOutput = true })!;
            string c = run.StandardOutput.ReadToEnd().Trim();
            run.WaitForExit();
            ResourceLimitCalls.RLimit r;
            Assert.Equal($"{sizeof(ResourceLimitCalls.RLimit)} {(byte*)&r.Maximum - (byte*)&r} {ResourceLimitCalls.RLIMIT_NOFILE}", c);
        }
        finally { Directory.Delete(dir, true); }
    }
}
