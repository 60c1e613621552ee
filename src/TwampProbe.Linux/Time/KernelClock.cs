using System.Runtime.InteropServices;
using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Time;

/// <summary>Reads the kernel NTP state with adjtimex(modes = 0) (read-only, no privileges needed).</summary>
public static unsafe class KernelClock
{
    public static ClockStatus Read()
    {
        Timex t = default;
        int state = ClockCalls.adjtimex(&t);
        if (state < 0)
        {
            int err = Marshal.GetLastPInvokeError();
            return new ClockStatus(false, 0, 0, $"adjtimex failed: {Marshal.GetPInvokeErrorMessage(err)} (errno {err})");
        }

        bool synced = state != ClockCalls.TIME_ERROR && (t.Status & ClockCalls.STA_UNSYNC) == 0;
        return new ClockStatus(synced, t.MaxError, t.EstError, null);
    }
}
