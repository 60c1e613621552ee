using TwampProbe.Control;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Control;

/// <summary>
/// Timers and deadlines follow CLOCK_MONOTONIC; the wall clock only fills timestamps. An NTP step
/// of an hour either way (a board without an RTC at its first sync) neither ends nor prolongs
/// anything. Test ports: TestPorts.ClockStep.
/// </summary>
public sealed class ClockStepTests
{
    static readonly int Low = TestPorts.ClockStep.Low, High = TestPorts.ClockStep.High; // the class's range: Support/TestPorts.cs
    static readonly TestPacketLayout Layout = TestPacketLayout.Unauthenticated;

    static NtpTimestamp Now() => NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds());

    /// <summary>
    /// Sends packet <paramref name="seq"/> and waits up to <paramref name="waitMs"/> for the reflector's reply
    /// to it. Anything else on the sender's socket is passed over: a reply to an earlier packet, or a datagram
    /// from elsewhere (the sender's port-0 socket may get a port another test's server still sends to).
    /// </summary>
    static bool Reflected(TestSender sender, int port, uint seq, int waitMs = 2000)
    {
        sender.SendTo(TestSender.Packet(Layout, 27, seq, Now()), port);
        long deadline = Environment.TickCount64 + waitMs;
        while (Environment.TickCount64 < deadline)
        {
            if (sender.Receive((int)Math.Max(1, deadline - Environment.TickCount64)) is not { } r) return false;
            if (r.Meta.Peer.Port == port && r.Data.Length >= Layout.ReflectorHeader
                && new ReflectorPacket(r.Data, Layout).SenderSequenceNumber == seq) return true;
        }
        return false;
    }

    [Fact]
    public async Task WallClockStepsOfAnHourEachWayNeitherEndNorProlongASession()
    {
        var clock = new SteppingClock();
        using var server = new TestServer(Low, Low + 20, s => s with
        {
            Limits = s.Limits with { RefWait = TimeSpan.FromSeconds(2), ServWait = TimeSpan.FromSeconds(2) },
        }, clock);
        using var sender = new TestSender();
        var (client, _, run) = await server.SetUpAsync(TwampModes.Unauthenticated);
        var answer = await client.RequestSessionAsync(TestServer.Request(sender.Port, timeoutSeconds: 1), TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));

        Assert.True(Reflected(sender, answer.Port, 1));
        clock.StepWallClock(TimeSpan.FromHours(1));
        // T3 is wall-clock time: it shows the step, so the server really reads the stepped clock.
        sender.SendTo(TestSender.Packet(Layout, 27, 2, Now()), answer.Port);
        var stepped = sender.Receive(2000) ?? throw new Xunit.Sdk.XunitException("no reply after the forward step");
        Assert.True(new ReflectorPacket(stepped.Data, Layout).Timestamp.ToUnixNanoseconds() - RealtimeClock.UnixNanoseconds() > 3_500_000_000_000);
        await Task.Delay(600);
        Assert.True(Reflected(sender, answer.Port, 3));
        clock.StepWallClock(TimeSpan.FromHours(-2));
        await Task.Delay(600);
        Assert.True(Reflected(sender, answer.Port, 4));
        Assert.False(run.IsCompleted, "the control connection was closed by a wall-clock step");

        // Stop with Timeout 1 s: reflected for one more second of monotonic time, then no more,
        // however the wall clock is stepped meanwhile.
        await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
        clock.StepWallClock(TimeSpan.FromHours(1));
        Assert.True(Reflected(sender, answer.Port, 5));
        await Task.Delay(1300);
        Assert.False(Reflected(sender, answer.Port, 6, waitMs: 500));
        await WaitUntil(() => server.Context.ActiveSessions == 0, "the stopped session was not released after its Timeout");
    }

    [Fact]
    public async Task RefWaitAndServWaitFollowTheMonotonicClock()
    {
        var clock = new SteppingClock();
        using var server = new TestServer(Low + 25, Low + 45, s => s with
        {
            Limits = s.Limits with { RefWait = TimeSpan.FromSeconds(600), ServWait = TimeSpan.FromSeconds(900) },
        }, clock);
        using var sender = new TestSender();
        var (client, _, run) = await server.SetUpAsync(TwampModes.Unauthenticated);
        var answer = await client.RequestSessionAsync(TestServer.Request(sender.Port), TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
        Assert.True(Reflected(sender, answer.Port, 1));

        // A wall-clock jump of a day changes nothing …
        clock.StepWallClock(TimeSpan.FromDays(1));
        await Task.Delay(1200);
        Assert.True(Reflected(sender, answer.Port, 2));
        // … eleven minutes of monotonic time without a packet end the session (REFWAIT 600 s).
        clock.AdvanceMonotonic(TimeSpan.FromMinutes(11));
        await WaitUntil(() => server.Context.ActiveSessions == 0, "REFWAIT did not end the session");
        Assert.False(Reflected(sender, answer.Port, 3, waitMs: 500));
        Assert.False(run.IsCompleted);
        // The client cannot know: its Stop-Sessions still counts the session (RFC 5357 §3.8) and is valid.
        await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
        var again = await client.RequestSessionAsync(TestServer.Request(sender.Port), TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, again.Accept);
        await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
        await WaitUntil(() => server.Context.ActiveSessions == 0, "stopped session not released");

        // Then SERVWAIT (900 s) of monotonic idleness closes the connection.
        clock.AdvanceMonotonic(TimeSpan.FromMinutes(16));
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }

    static async Task WaitUntil(Func<bool> condition, string what)
    {
        long deadline = Environment.TickCount64 + 5000;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) throw new Xunit.Sdk.XunitException(what);
            await Task.Delay(20);
        }
    }
}
