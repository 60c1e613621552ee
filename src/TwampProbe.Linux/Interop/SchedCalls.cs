using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>Scheduler and memory-locking calls.</summary>
internal static unsafe partial class SchedCalls
{
    internal const int SCHED_FIFO = 1;
    internal const int MCL_CURRENT = 1;
    internal const int MCL_FUTURE = 2;
    internal const int MCL_ONFAULT = 4;
    /// <summary>sizeof(cpu_set_t) in glibc (1024 CPUs).</summary>
    internal const int CpuSetBytes = 128;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sched_setaffinity(int pid, nuint cpusetsize, byte* mask);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sched_getaffinity(int pid, nuint cpusetsize, byte* mask);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sched_setscheduler(int pid, int policy, SchedParam* param);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int mlockall(int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sched_getcpu();

    /// <summary>The calling thread's kernel id (glibc 2.30+).</summary>
    [LibraryImport("libc")]
    internal static partial int gettid();
}
