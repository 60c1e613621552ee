using TwampProbe.Linux.Time;
using Xunit;
using Xunit.Abstractions;

namespace TwampProbe.Linux.Tests;

public sealed class ClockTests
{
    private readonly ITestOutputHelper _output;

    public ClockTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void KernelClockReadsWithoutError()
    {
        ClockStatus status = KernelClock.Read();
        _output.WriteLine(status.ToString());
        Assert.Null(status.Error);
        Assert.True(status.MaxErrorMicroseconds >= 0);
        Assert.True(status.EstErrorMicroseconds >= 0);
    }

    [Fact]
    public void RealtimeClockMatchesDateTimeUtcNow()
    {
        long best = long.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            long a = RealtimeClock.UnixNanoseconds();
            long dt = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
            long b = RealtimeClock.UnixNanoseconds();
            best = Math.Min(best, Math.Abs(dt - (a / 2 + b / 2)));
        }

        Assert.True(best < 1_000_000, $"RealtimeClock differs from DateTime.UtcNow by {best} ns");
    }

    [Fact]
    public void RealtimeClockAllocatesNothing()
    {
        RealtimeClock.UnixNanoseconds();
        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        for (int i = 0; i < 1000; i++)
        {
            sum += RealtimeClock.UnixNanoseconds() & 1;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.InRange(sum, 0, 1000);
    }
}
