using TwampProbe.Linux.Time;

namespace TwampProbe.Tests.Support;

/// <summary>The time a Session-Sender stamps into its packets, and waiting for what another thread does.</summary>
public static class TestTime
{
    /// <summary>CLOCK_REALTIME as an NTP timestamp: a sender's T1.</summary>
    public static NtpTimestamp Now() => NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds());

    /// <summary>Polls <paramref name="condition"/> every 5 ms for up to 5 s; fails with <paramref name="what"/> when it never held.</summary>
    public static void WaitUntil(Func<bool> condition, string what)
    {
        long deadline = Environment.TickCount64 + 5000;
        while (!condition() && Environment.TickCount64 < deadline) Thread.Sleep(5);
        Assert.True(condition(), what);
    }
}
