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

    /// <summary>mlockall(MCL_CURRENT | MCL_FUTURE).</summary>
    public static void LockMemory()
    {
        if (SchedCalls.mlockall(SchedCalls.MCL_CURRENT | SchedCalls.MCL_FUTURE) != 0)
        {
            Throw("mlockall", "MCL_CURRENT|MCL_FUTURE");
        }
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
