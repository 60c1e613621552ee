using System.Runtime.InteropServices;
using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Scheduling;

/// <summary>Per-thread CPU affinity, real-time priority and memory locking.</summary>
public static unsafe class ThreadTuning
{
    /// <summary>Pins the calling OS thread to one CPU (sched_setaffinity(0, ...) applies to the caller's tid).</summary>
    public static void PinCurrentThread(int cpu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, SchedCalls.CpuSetBytes * 8);
        byte* mask = stackalloc byte[SchedCalls.CpuSetBytes];
        new Span<byte>(mask, SchedCalls.CpuSetBytes).Clear();
        mask[cpu / 8] = (byte)(1 << (cpu % 8));
        if (SchedCalls.sched_setaffinity(0, SchedCalls.CpuSetBytes, mask) != 0)
        {
            Throw("sched_setaffinity", $"cpu {cpu}");
        }
    }

    /// <summary>The calling thread's kernel thread id (gettid), e.g. for <see cref="SetFifo(int, int)"/> from another thread.</summary>
    public static int CurrentThreadId() => SchedCalls.gettid();

    /// <summary>
    /// SCHED_FIFO with the given priority (1..99) for thread <paramref name="threadId"/> of this
    /// process (0: the calling thread). Setting it for another thread is how a thread without
    /// CAP_SYS_NICE gets it from the one that kept it (see Security.PrivilegedThread).
    /// </summary>
    public static void SetFifo(int priority, int threadId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threadId);
        ArgumentOutOfRangeException.ThrowIfLessThan(priority, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(priority, 99);
        SchedParam p;
        p.Priority = priority;
        if (SchedCalls.sched_setscheduler(threadId, SchedCalls.SCHED_FIFO, &p) != 0)
        {
            Throw("sched_setscheduler(SCHED_FIFO)", threadId == 0 ? $"priority {priority}" : $"thread {threadId}, priority {priority}");
        }
    }

    /// <summary>
    /// mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT): pages are locked as they are first touched,
    /// never populated up front. The runtime reserves tens of GB of address space for the GC heap;
    /// without MCL_ONFAULT every committed page of it would be faulted in and pinned at once, more
    /// than a small board has. Kernels before 4.4 lack MCL_ONFAULT (EINVAL): then plain locking.
    /// <para>MCL_FUTURE locks every later allocation too, and once root is dropped that is counted
    /// against RLIMIT_MEMLOCK (often 8 MiB): the heap could no longer grow (ENOMEM). So when
    /// <paramref name="dropsPrivileges"/>, the limit is lifted first (root with CAP_SYS_RESOURCE can);
    /// if it stays finite, only what is mapped now is locked and the result says so.</para>
    /// </summary>
    /// <returns>Null when everything, now and later, is locked; else what was left out and why.</returns>
    public static unsafe string? LockMemory(bool dropsPrivileges = false)
    {
        bool future = true;
        if (dropsPrivileges)
        {
            var unlimited = new ResourceLimitCalls.RLimit { Current = ResourceLimitCalls.RLIM_INFINITY, Maximum = ResourceLimitCalls.RLIM_INFINITY };
            if (ResourceLimitCalls.setrlimit(ResourceLimitCalls.RLIMIT_MEMLOCK, &unlimited) != 0) future = false;
        }
        int flags = SchedCalls.MCL_CURRENT | (future ? SchedCalls.MCL_FUTURE : 0);
        if (SchedCalls.mlockall(flags | SchedCalls.MCL_ONFAULT) != 0 && SchedCalls.mlockall(flags) != 0)
        {
            Throw("mlockall", future ? "MCL_CURRENT|MCL_FUTURE" : "MCL_CURRENT");
        }
        if (future) return null;
        ResourceLimitCalls.RLimit limit;
        ResourceLimitCalls.getrlimit(ResourceLimitCalls.RLIMIT_MEMLOCK, &limit);
        return $"memory mapped now is locked, later allocations are not: RLIMIT_MEMLOCK is {limit.Maximum / 1024} KiB and cannot be lifted " +
               "for the dropped user (raise it: LimitMEMLOCK=infinity, 'ulimit -l unlimited', or run without 'user')";
    }

    /// <summary>sched_getcpu(): the CPU the calling thread runs on now.</summary>
    public static int CurrentCpu()
    {
        int cpu = SchedCalls.sched_getcpu();
        if (cpu < 0)
        {
            Throw("sched_getcpu", "");
        }

        return cpu;
    }

    private static void Throw(string call, string detail)
    {
        int err = Marshal.GetLastPInvokeError();
        throw new InvalidOperationException($"{call}({detail}) failed: {Marshal.GetPInvokeErrorMessage(err)} (errno {err})");
    }
}
