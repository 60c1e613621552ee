namespace TwampProbe.Linux.Time;

/// <summary>Kernel clock discipline state (adjtimex).</summary>
/// <param name="Synchronized">adjtimex != TIME_ERROR and STA_UNSYNC clear.</param>
/// <param name="MaxErrorMicroseconds">timex.maxerror.</param>
/// <param name="EstErrorMicroseconds">timex.esterror.</param>
/// <param name="Error">Set when adjtimex itself failed.</param>
public readonly record struct ClockStatus(bool Synchronized, long MaxErrorMicroseconds, long EstErrorMicroseconds, string? Error);
