using TwampProbe.Linux.Leds;
using Xunit;

namespace TwampProbe.Linux.Tests.Leds;

public sealed class LedTestTests
{
    [Fact]
    public void CyclesEachLedOnThenOffInTurn()
    {
        var a = new RecordingLed("status");
        var b = new RecordingLed("fault");
        var log = new List<string>();
        int failed = LedTest.Cycle([a, b], log.Add, onMs: 1);
        Assert.Equal(0, failed);
        Assert.Equal([false, true, false], a.Writes);
        Assert.Equal([false, true, false], b.Writes);
        Assert.Equal(2, log.Count);
        Assert.StartsWith("status", log[0]);
        Assert.StartsWith("fault", log[1]);
    }

    [Fact]
    public void FailingLedIsLoggedAndCounted()
    {
        var bad = new RecordingLed("bad") { FailWrites = true };
        var good = new RecordingLed("good");
        var log = new List<string>();
        Assert.Equal(1, LedTest.Cycle([bad, good], log.Add, onMs: 1));
        Assert.Contains(log, l => l.StartsWith("bad: FAILED", StringComparison.Ordinal));
        Assert.Equal([false, true, false], good.Writes);
    }
}
