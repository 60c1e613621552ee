using TwampProbe.Linux.Time;

namespace TwampProbe.Linux.Net;

/// <summary>
/// Picks the timestamp of one SCM_TIMESTAMPING message: the hardware one (ts[2], PHC time) converted to
/// system time when it is there and a valid PHC mapping is known, else the software one (ts[0], already
/// CLOCK_REALTIME). A raw PHC value is never returned: every timestamp the socket reports is system time,
/// so T1..T4 of one computation share one timescale whatever stamped them.
/// </summary>
public static class KernelTimestamp
{
    /// <summary>False when the message carried neither timestamp.</summary>
    public static bool TryPick(long softwareNs, long hardwareNs, PhcTimescale? phc, out long unixNs, out TimestampSource source)
    {
        if (hardwareNs != 0 && phc is not null && phc.TryToSystem(hardwareNs, out unixNs))
        {
            source = TimestampSource.Hardware;
            return true;
        }

        if (softwareNs != 0)
        {
            unixNs = softwareNs;
            source = TimestampSource.Kernel;
            return true;
        }

        unixNs = 0;
        source = TimestampSource.User;
        return false;
    }
}
