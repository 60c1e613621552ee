using System.Runtime.InteropServices;

namespace TwampProbe.Bench;

static partial class Native
{
    [StructLayout(LayoutKind.Sequential)]
    struct Timespec { public long Sec; public long Nsec; }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int nanosleep(ref Timespec req, IntPtr rem);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, ref int param);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    /// <summary>The calling thread (and the threads it starts) back to SCHED_OTHER, at nice −20.</summary>
    public static void NormalPriority()
    {
        int zero = 0;
        sched_setscheduler(0, 0, ref zero);
        setpriority(0, 0, -20);
    }

    public static void SleepNs(long ns)
    {
        var t = new Timespec { Sec = ns / 1_000_000_000, Nsec = ns % 1_000_000_000 };
        nanosleep(ref t, IntPtr.Zero);
    }

    public static void Terminate(int pid) => kill(pid, 15);
}
