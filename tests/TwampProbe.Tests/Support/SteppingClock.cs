using TwampProbe.Time;

namespace TwampProbe.Tests.Support;

/// <summary>The system clocks with offsets a test can step: the wall clock as NTP would step it
/// on a board without an RTC, and the monotonic clock to make time pass at once.</summary>
public sealed class SteppingClock : IClock
{
    long _unixOffset;
    long _monotonicOffset;

    public long MonotonicNanoseconds => SystemClock.Instance.MonotonicNanoseconds + Interlocked.Read(ref _monotonicOffset);
    public long UnixNanoseconds => SystemClock.Instance.UnixNanoseconds + Interlocked.Read(ref _unixOffset);

    public void StepWallClock(TimeSpan by) => Interlocked.Add(ref _unixOffset, (long)by.TotalNanoseconds);
    public void AdvanceMonotonic(TimeSpan by) => Interlocked.Add(ref _monotonicOffset, (long)by.TotalNanoseconds);
}
