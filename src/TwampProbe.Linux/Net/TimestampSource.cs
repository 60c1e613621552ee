namespace TwampProbe.Linux.Net;

/// <summary>Where a packet timestamp came from.</summary>
public enum TimestampSource : byte
{
    /// <summary>clock_gettime(CLOCK_REALTIME) in user space.</summary>
    User = 0,

    /// <summary>Kernel software timestamp (SO_TIMESTAMPING software).</summary>
    Kernel = 1,

    /// <summary>NIC hardware timestamp (raw hardware clock).</summary>
    Hardware = 2,
}
