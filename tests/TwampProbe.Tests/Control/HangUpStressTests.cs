using TwampProbe.Control;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Control;

/// <summary>
/// The interleaving that used to kill the server: an authenticated or encrypted session is flooded
/// with valid test packets while its control connection drops. The session's crypto must outlive
/// every batch that uses it (the reflector thread frees it). Many iterations, not one lucky run.
/// Test ports: TestPorts.HangUpStress.
/// </summary>
public sealed class HangUpStressTests : IDisposable
{
    static readonly int Low = TestPorts.HangUpStress.Low, High = TestPorts.HangUpStress.High; // the class's range: Support/TestPorts.cs
    readonly TestServer _server = new(Low, High);

    public void Dispose() => _server.Dispose();

    [Theory]
    [InlineData(TwampModes.Authenticated, 40)]
    [InlineData(TwampModes.Encrypted, 40)]
    public async Task ControlConnectionDroppedMidFloodNeverHurtsTheReflector(TwampModes mode, int iterations)
    {
        var layout = TestPacketLayout.For(mode);
        long reflectedBefore = _server.Engine.Reflected;
        for (int i = 0; i < iterations; i++)
        {
            using var sender = new TestSender();
            var (client, stream, run) = await _server.SetUpAsync(mode);
            var answer = await client.RequestSessionAsync(TestServer.Request(sender.Port, padding: 64), TestServer.Timeout());
            Assert.Equal(AcceptCode.Ok, answer.Accept);
            Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));

            using var crypto = new TestPacketCrypto(client.Keys!, answer.Sid, mode.TestSecurity());
            using var stop = new CancellationTokenSource();
            var flood = Task.Run(() =>
            {
                var packet = new byte[layout.SenderHeader + 64];
                uint seq = 0;
                while (!stop.IsCancellationRequested)
                {
                    TestSender.Fill(packet, layout, seq++, NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds()));
                    crypto.ProtectSender(packet);
                    sender.SendTo(packet, answer.Port);
                }
            });
            // Let the flood get going, then hang up at a different point of the flood each time.
            await Task.Delay(5 + i % 7 * 3);
            stream.Dispose();
            await run.WaitAsync(TimeSpan.FromSeconds(5));
            await Task.Delay(i % 3);
            stop.Cancel();
            await flood;
        }

        Assert.Equal(0, _server.Engine.InternalErrors);
        Assert.True(_server.Engine.Reflected > reflectedBefore, "the flood was never reflected: the test did not exercise the race");
        Assert.Equal(0, _server.Context.ActiveSessions);
        await _server.AssertStillServesAsync(29090);
    }

    [Fact]
    public async Task ManyParallelClientsInEveryModeAreAllServed()
    {
        var modes = new[] { TwampModes.Unauthenticated, TwampModes.Authenticated, TwampModes.Encrypted, TwampModes.Mixed };
        var tasks = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            var mode = modes[i % modes.Length];
            using var sender = new TestSender();
            var (client, _, run) = await _server.SetUpAsync(mode);
            var answer = await client.RequestSessionAsync(TestServer.Request(sender.Port, padding: 64), TestServer.Timeout());
            Assert.Equal(AcceptCode.Ok, answer.Accept);
            Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
            var layout = TestPacketLayout.For(mode);
            using var crypto = mode.TestSecurity() == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(client.Keys!, answer.Sid, mode.TestSecurity());
            int replies = 0;
            for (uint seq = 0; seq < 50; seq++)
            {
                sender.SendTo(TestSender.Packet(layout, 64, seq, NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds()), crypto), answer.Port);
                if (sender.Receive(2000) is { } reply && (crypto is null || crypto.UnprotectReflector(reply.Data)) &&
                    new ReflectorPacket(reply.Data, layout).SenderSequenceNumber == seq) replies++;
            }
            await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
            client.Dispose();
            await run.WaitAsync(TimeSpan.FromSeconds(5));
            return replies;
        })).ToArray();

        var replies = await Task.WhenAll(tasks);

        Assert.All(replies, r => Assert.Equal(50, r));
        Assert.Equal(0, _server.Engine.InternalErrors);
    }
}
