namespace TwampProbe.Linux.Interop;

/// <summary>struct timespec (LP64).</summary>
internal struct Timespec
{
    public long Seconds;
    public long Nanoseconds;

    public readonly long ToNanoseconds() => Seconds * 1_000_000_000L + Nanoseconds;

    public readonly bool IsZero => Seconds == 0 && Nanoseconds == 0;
}
