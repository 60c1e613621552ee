using TwampProbe.Sessions;
using TwampProbe.Tests.Cli;
using TwampProbe.Tests.Support;
using TwampProbe.Time;

namespace TwampProbe.Tests.Sessions;

/// <summary>
/// The sender's loss threshold (-L, RFC 7680 Tmax) on a real loopback socket: judged on the monotonic
/// clock from the packet's departure, less the time the reply sat in the socket (its kernel RX
/// timestamp). The reply to packet 0 is held 300 ms; meanwhile the clocks jump 1 s, as if the receive
/// thread had stalled that long.
/// </summary>
[Collection(SenderTimingCollection.Name)]
public sealed class SenderLossThresholdTests
{
    static async Task<(int Received, int Late)> RunAsync(Action<SteppingClock> stall)
    {
        using var reflector = new ScriptedReflector(delayed: new() { [0] = TimeSpan.FromMilliseconds(300) });
        using var state = new ClockState(TimeSpan.FromSeconds(1));
        var clock = new SteppingClock();
        var sender = new SessionSender(IPAddress.Loopback, new SenderOptions
        {
            Count = 2, Interval = TimeSpan.FromMilliseconds(300), LossTimeout = TimeSpan.FromMilliseconds(800),
        }, state, time: clock);
        sender.Target(new IPEndPoint(IPAddress.Loopback, reflector.Port), null, default, light: true);
        var run = Task.Run(() => sender.Run(CancellationToken.None));
        // Spun on this thread, not awaited: a starved thread pool could otherwise apply the stall only
        // after packet 0's reply (300 ms later) was in.
        SpinWait.SpinUntil(() => sender.Statistics.PacketsSent >= 1 || run.IsCompleted);
        stall(clock);
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10))) == run, "the sender did not finish");
        sender.Dispose();
        Assert.Equal(2, sender.Statistics.PacketsSent);
        return (sender.Statistics.PacketsReceived, sender.Statistics.Late);
    }

    [Fact]
    public async Task ReplyOlderThanTheThresholdOnTheMonotonicClockIsLate()
    {
        // Only the monotonic clock moves: 1.3 s after packet 0 left, its reply comes back: past -L 0.8.
        var (received, late) = await RunAsync(c => c.AdvanceMonotonic(TimeSpan.FromSeconds(1)));
        Assert.Equal((1, 1), (received, late));
    }

    [Fact]
    public async Task TimeTheReplyWaitedInTheSocketIsNotCountedAgainstIt()
    {
        // Both clocks move by the stall: the reply's RX timestamp shows it arrived 300 ms after its
        // packet left and waited 1 s unread. It was in time.
        var (received, late) = await RunAsync(c =>
        {
            c.AdvanceMonotonic(TimeSpan.FromSeconds(1));
            c.StepWallClock(TimeSpan.FromSeconds(1));
        });
        Assert.Equal((2, 0), (received, late));
    }
}
