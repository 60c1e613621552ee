using System.Runtime.InteropServices;
using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Time;

/// <summary>
/// /dev/ptpN opened read-only and read with clock_gettime(FD_TO_CLOCKID(fd)) (Documentation/ptp/ptp.rst).
/// Opened while the process still has the rights to (root, or the ptp group), then kept open.
/// </summary>
public sealed unsafe class PhcDevice : IPhcClock, IDisposable
{
    readonly SafeFileDescriptor _fd;
    readonly int _clockId;

    PhcDevice(SafeFileDescriptor fd, string name)
    {
        _fd = fd;
        _clockId = PhcCalls.FdToClockId(fd.Fd);
        Name = name;
    }

    public string Name { get; }

    /// <summary>Opens /dev/ptp<paramref name="index"/>; null with a reason when it cannot be opened or read.</summary>
    public static PhcDevice? TryOpen(int index, out string? reason)
    {
        string path = $"/dev/ptp{index}";
        int fd = PhcCalls.open(path, PhcCalls.O_RDONLY | PhcCalls.O_CLOEXEC);
        if (fd < 0)
        {
            int err = Marshal.GetLastPInvokeError();
            reason = $"cannot open {path}: {Marshal.GetPInvokeErrorMessage(err)} (errno {err})";
            return null;
        }

        var device = new PhcDevice(new SafeFileDescriptor(fd), path);
        if (!device.TryReadPhc(out _))
        {
            int err = Marshal.GetLastPInvokeError();
            device.Dispose();
            reason = $"cannot read {path}: {Marshal.GetPInvokeErrorMessage(err)} (errno {err})";
            return null;
        }

        reason = null;
        return device;
    }

    public bool TryReadPhc(out long nanoseconds)
    {
        Timespec ts;
        if (ClockCalls.clock_gettime(_clockId, &ts) != 0)
        {
            nanoseconds = 0;
            return false;
        }

        nanoseconds = ts.ToNanoseconds();
        return true;
    }

    public long ReadSystem() => RealtimeClock.UnixNanoseconds();

    public void Dispose() => _fd.Dispose();
}
