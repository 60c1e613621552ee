using TwampProbe.Owamp.Test;
using TwampProbe.Tests.Sessions;
using Xunit.Abstractions;
using static TwampProbe.Tests.Owamp.TestEngineHarness;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// The OWAMP-Test sender and receiver allocate nothing per packet. Each engine publishes its own thread's
/// allocation counter after every packet (sender) or batch (receiver); the test compares the counter once
/// the session is under way (100 packets, JIT and first-use buffers done) with its value at the end.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class TestEngineAllocationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(TestSecurity.Unauthenticated)]
    [InlineData(TestSecurity.Authenticated)]
    [InlineData(TestSecurity.Encrypted)]
    public void SenderAndReceiverAllocateNothingPerPacket(TestSecurity security)
    {
        // Exponential slots, so the §5 generator runs per packet too.
        var spec = Spec(600, TimeSpan.FromMilliseconds(1), security, exponential: true, padding: 16);
        var (sender, receiver) = Pair(spec);
        using var s = sender;
        using var r = receiver;
        long senderAt100 = -1, receiverAt100 = -1;
        var rx = new Thread(() => receiver.Run(CancellationToken.None)) { IsBackground = true };
        var tx = new Thread(() => sender.Run(CancellationToken.None)) { IsBackground = true };
        rx.Start();
        tx.Start();
        while (tx.IsAlive)
        {
            if (senderAt100 < 0 && sender.PacketsSent >= 100) senderAt100 = sender.ThreadAllocatedBytes;
            if (receiverAt100 < 0 && receiver.Accepted >= 100) receiverAt100 = receiver.ThreadAllocatedBytes;
            Thread.Sleep(1);
        }
        rx.Join();
        long senderBytes = sender.ThreadAllocatedBytes - senderAt100;
        long receiverBytes = receiver.ThreadAllocatedBytes - receiverAt100;
        output.WriteLine($"{security}: sender {senderBytes} bytes and receiver {receiverBytes} bytes for the last ~500 packets; received {receiver.Accepted}");
        Assert.True(senderAt100 >= 0 && receiverAt100 >= 0);
        Assert.True(receiver.Accepted >= 500, $"received {receiver.Accepted}");
        Assert.True(senderBytes < 1024, $"sender allocated {senderBytes} bytes for ~500 packets");
        Assert.True(receiverBytes < 1024, $"receiver allocated {receiverBytes} bytes for ~500 packets");
    }
}
