using TwampProbe.Linux.Scheduling;
using Xunit;

namespace TwampProbe.Linux.Tests;

public sealed class ThreadTuningTests
{
    [Fact]
    public void PinnedThreadRunsOnThatCpu()
    {
        var cpus = new List<int> { 0 };
        if (Environment.ProcessorCount > 1)
        {
            cpus.Add(Environment.ProcessorCount - 1);
        }

        foreach (int cpu in cpus)
        {
            int observed = -1;
            Exception? error = null;
            var t = new Thread(() =>
            {
                try
                {
                    ThreadTuning.PinCurrentThread(cpu);
                    Thread.Yield();
                    observed = ThreadTuning.CurrentCpu();
                    for (int i = 0; i < 100 && observed == cpu; i++)
                    {
                        Thread.SpinWait(1000);
                        observed = ThreadTuning.CurrentCpu();
                    }
                }
                catch (Exception ex)
                {
                    error = ex;
                }
            });
            t.Start();
            t.Join();
            Assert.Null(error);
            Assert.Equal(cpu, observed);
        }
    }

    [Fact]
    public void PinningToANonexistentCpuThrowsWithErrnoText()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => RunOnThread(() => ThreadTuning.PinCurrentThread(1000)));
        Assert.Contains("sched_setaffinity", ex.Message);
        Assert.Contains("errno", ex.Message);
    }

    [Fact]
    public void SetFifoSwitchesTheCallingThreadOrExplainsWhy()
    {
        string? policy = null;
        string? mainPolicyAfter = null;
        RunOnThread(() =>
        {
            try
            {
                ThreadTuning.SetFifo(1);
                policy = SchedulingPolicy();
            }
            catch (InvalidOperationException ex)
            {
                // No CAP_SYS_NICE / RLIMIT_RTPRIO: must be reported with the errno text.
                Assert.Contains("sched_setscheduler", ex.Message);
                Assert.Contains("errno", ex.Message);
                policy = "1";
            }
        });
        mainPolicyAfter = SchedulingPolicy();
        Assert.Equal("1", policy);          // SCHED_FIFO on the tuned thread
        Assert.Equal("0", mainPolicyAfter); // other threads untouched (SCHED_OTHER)
        Assert.Throws<ArgumentOutOfRangeException>(() => ThreadTuning.SetFifo(0));
    }

    /// <summary>Field 41 (policy) of /proc/thread-self/stat.</summary>
    private static string SchedulingPolicy()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields[41 - 3];
    }

    private static void RunOnThread(Action action)
    {
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        t.Start();
        t.Join();
        if (error is not null)
        {
            throw error;
        }
    }
}
