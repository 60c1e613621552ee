using TwampProbe.Linux.Leds;
using Xunit;

namespace TwampProbe.Linux.Tests.Leds;

public sealed class StatusLedsTests
{
    readonly RecordingLed _status = new("status"), _activity = new("activity"), _fault = new("fault");

    StatusLeds Create() => new(_status, _activity, _fault);

    /// <summary><paramref name="leds"/> put in <paramref name="state"/> and ticked once at t = 0.</summary>
    static StatusLeds Showing(ProbeState state, StatusLeds leds)
    {
        leds.State = state;
        leds.Tick(0);
        return leds;
    }

    /// <summary>Samples <paramref name="led"/> after each tick from <paramref name="from"/> in 50 ms steps.</summary>
    static string Run(StatusLeds leds, RecordingLed led, long from, int ticks, Action<long>? before = null)
    {
        var s = new System.Text.StringBuilder();
        for (int i = 0; i < ticks; i++)
        {
            long t = from + i * 50L;
            before?.Invoke(t);
            leds.Tick(t);
            s.Append(led.IsOn ? '#' : '.');
        }
        return s.ToString();
    }

    [Fact]
    public void BootingBlinksStatusAt1Hz()
    {
        using var leds = Create();
        Assert.Equal(ProbeState.Booting, leds.State);
        Assert.Equal("##########..........##########..........", Run(leds, _status, 1000, 40));
        Assert.Equal([true, false, true, false], _status.Writes);
        Assert.False(_activity.IsOn);
        Assert.False(_fault.IsOn);
    }

    [Fact]
    public void ReadyIsSolidAndSteadyStateWritesNothing()
    {
        using var leds = Create();
        leds.State = ProbeState.Ready;
        Assert.Equal(new string('#', 100), Run(leds, _status, 0, 100));
        Assert.Equal([true], _status.Writes);
        Assert.Equal([false], _activity.Writes);
        Assert.Equal([false], _fault.Writes);
    }

    [Fact]
    public void ActivePulsesActivityOnlyWhenTrafficWasSeen()
    {
        using var leds = Create();
        leds.State = ProbeState.Active;
        Assert.Equal("....................", Run(leds, _activity, 0, 20));

        // One packet: one 50 ms flash at the next tick.
        leds.NotifyActivity(1);
        Assert.Equal("#...................", Run(leds, _activity, 1000, 20));
        leds.NotifyActivity(1); // same count: nothing new
        Assert.Equal("....................", Run(leds, _activity, 2000, 20));

        // Continuous traffic (a packet every 10 ms): at most one flash per 500 ms, not per packet.
        long count = 1;
        Assert.Equal("#.........#.........#.........",
            Run(leds, _activity, 3000, 30, _ => leds.NotifyActivity(count += 5)));

        leds.Pulse();
        Assert.Equal("#...", Run(leds, _activity, 5000, 4));
        Assert.Equal(new string('#', 20), Run(leds, _status, 6000, 20)); // status stays on
        Assert.False(_fault.IsOn);
    }

    [Fact]
    public void FaultLightsFaultLedAndBlinksStatusFast()
    {
        using var leds = Showing(ProbeState.Ready, Create());
        leds.State = ProbeState.Fault;
        Assert.Equal("##...##...##...##...", Run(leds, _status, 100, 20)); // 4 Hz: 100 on / 150 off
        Assert.True(_fault.IsOn);
        Assert.Equal([false, true], _fault.Writes);

        leds.State = ProbeState.Ready;
        leds.Tick(5000);
        Assert.False(_fault.IsOn);
        Assert.True(_status.IsOn);
    }

    [Fact]
    public void StateChangeRestartsThePatternLit()
    {
        using var leds = Showing(ProbeState.Ready, Create());
        leds.State = ProbeState.Booting;
        Assert.Equal("##########..........", Run(leds, _status, 777, 20));
    }

    [Fact]
    public void NullLedsAreTolerated()
    {
        using (var none = new StatusLeds(null, null, null))
        {
            Assert.False(none.HasLeds);
            none.NotifyActivity(5);
            none.State = ProbeState.Fault;
            none.Tick(0);
            none.Start();
        }

        using var statusOnly = new StatusLeds(_status, null, null);
        statusOnly.State = ProbeState.Fault;
        Assert.Equal("##...", Run(statusOnly, _status, 0, 5));
    }

    [Fact]
    public void WithoutActivityLedTrafficWinksStatusOff()
    {
        using var leds = Showing(ProbeState.Active, new StatusLeds(_status, null, _fault));
        leds.NotifyActivity(3);
        Assert.Equal(".###", Run(leds, _status, 50, 4));
    }

    [Fact]
    public void DisposeTurnsAllOffAndDisposesLeds()
    {
        var leds = Showing(ProbeState.Fault, Create());
        Assert.True(_status.IsOn && _fault.IsOn);
        leds.Dispose();
        foreach (var led in new[] { _status, _activity, _fault })
        {
            Assert.False(led.IsOn);
            Assert.True(led.Disposed);
        }
        int writes = _status.Writes.Count;
        leds.Tick(100);
        leds.Dispose();
        Assert.Equal(writes, _status.Writes.Count);
    }

    [Fact]
    public void FailingLedIsReportedOnceAndDropped()
    {
        var errors = new List<string>();
        _activity.FailWrites = true;
        using var leds = new StatusLeds(_status, _activity, _fault, errors.Add);
        leds.State = ProbeState.Ready;
        for (int t = 0; t < 500; t += 50) leds.Tick(t);
        Assert.Single(errors);
        Assert.Contains("activity", errors[0]);
        Assert.True(_activity.Disposed);
        Assert.True(_status.IsOn);
    }

    [Fact]
    public void TimerDrivesTheLedsAndDisposeStopsIt()
    {
        var leds = Create();
        leds.State = ProbeState.Ready;
        leds.Start();
        leds.Start();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!_status.IsOn && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Assert.True(_status.IsOn);
        leds.Dispose();
        int writes = _status.Writes.Count;
        Thread.Sleep(150);
        Assert.Equal(writes, _status.Writes.Count);
        Assert.False(_status.IsOn);
    }
}
