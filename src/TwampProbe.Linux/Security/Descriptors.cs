using System.Runtime.InteropServices;
using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Security;

/// <summary>
/// The per-process file descriptor limit (RLIMIT_NOFILE). Every test session socket and every
/// control connection is a descriptor; the usual soft limit of 1024 would cap the probe long
/// before its session limits do.
/// </summary>
public static unsafe class Descriptors
{
    /// <summary>The soft limit now: how many descriptors the process may have open (int.MaxValue if unlimited).</summary>
    public static int Limit => Clamp(Read().Current);

    /// <summary>The hard limit now (int.MaxValue if unlimited).</summary>
    public static int HardLimit => Clamp(Read().Maximum);

    /// <summary>
    /// Raises the soft limit to the hard one (no privilege needed; the hard limit is what the
    /// administrator or init system allows). Returns the soft limit before and after.
    /// Throws <see cref="InvalidOperationException"/> with the errno text on failure.
    /// </summary>
    public static (int Before, int After) RaiseToHardLimit()
    {
        var limit = Read();
        int before = Clamp(limit.Current);
        if (limit.Current < limit.Maximum)
        {
            limit.Current = limit.Maximum;
            if (ResourceLimitCalls.setrlimit(ResourceLimitCalls.RLIMIT_NOFILE, &limit) != 0)
                throw Error("setrlimit(RLIMIT_NOFILE)");
        }
        return (before, Limit);
    }

    /// <summary>Sets the soft limit (at most the hard limit). For tests and tools.</summary>
    public static void SetSoftLimit(int soft)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(soft);
        var limit = Read();
        limit.Current = (ulong)soft;
        if (ResourceLimitCalls.setrlimit(ResourceLimitCalls.RLIMIT_NOFILE, &limit) != 0)
            throw Error("setrlimit(RLIMIT_NOFILE)");
    }

    /// <summary>Whether descriptor <paramref name="fd"/> is open with write access (fcntl F_GETFL).</summary>
    public static bool IsOpenForWriting(int fd)
    {
        int flags = Tmds.Linux.LibC.fcntl(fd, Tmds.Linux.LibC.F_GETFL);
        if (flags < 0) return false;
        int access = flags & Tmds.Linux.LibC.O_ACCMODE;
        return access == Tmds.Linux.LibC.O_WRONLY || access == Tmds.Linux.LibC.O_RDWR;
    }

    static ResourceLimitCalls.RLimit Read()
    {
        ResourceLimitCalls.RLimit limit;
        if (ResourceLimitCalls.getrlimit(ResourceLimitCalls.RLIMIT_NOFILE, &limit) != 0)
            throw Error("getrlimit(RLIMIT_NOFILE)");
        return limit;
    }

    static int Clamp(ulong value) => value >= int.MaxValue ? int.MaxValue : (int)value;

    static InvalidOperationException Error(string what)
    {
        int err = Marshal.GetLastPInvokeError();
        return new InvalidOperationException($"{what}: {Marshal.GetPInvokeErrorMessage(err)} (errno {err})");
    }
}
