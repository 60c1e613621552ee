namespace TwampProbe.Linux.Time;

/// <summary>
/// A NIC's PTP hardware clock (PHC) beside the system clock: the seam <see cref="PhcTimescale"/> reads to map
/// hardware timestamps (PHC time, often TAI or free-running) onto CLOCK_REALTIME. The real one is
/// <see cref="PhcDevice"/> (/dev/ptpN); tests use a fake with a known offset and drift.
/// </summary>
public interface IPhcClock
{
    /// <summary>Where the clock comes from (for log lines), e.g. "/dev/ptp0".</summary>
    string Name { get; }

    /// <summary>The PHC's time in nanoseconds; false when it could not be read.</summary>
    bool TryReadPhc(out long nanoseconds);

    /// <summary>CLOCK_REALTIME in nanoseconds since the Unix epoch.</summary>
    long ReadSystem();
}
