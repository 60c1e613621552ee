using System.Buffers.Binary;
using TwampProbe.Linux.Net;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Tests.Support;
using Xunit.Abstractions;

namespace TwampProbe.Tests.Sessions;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "allocation (runs alone: GC counters are process-wide)";
}

/// <summary>
/// The reflector allocates nothing per packet (the best of five windows counts). Measured on the
/// reflector thread itself (<see cref="TwampProbe.Sessions.ReflectorEngine.ThreadAllocatedBytes"/>), so
/// other threads of the test host cannot disturb it; the process-wide figure is printed beside it.
/// Test ports: TestPorts.ReflectorAllocation.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class ReflectorAllocationTests(ITestOutputHelper output) : IDisposable
{
    static readonly int Low = TestPorts.ReflectorAllocation.Low, High = TestPorts.ReflectorAllocation.High; // the class's range: Support/TestPorts.cs
    readonly TestServer _server = new(Low, High);

    public void Dispose() => _server.Dispose();

    async Task<(TestSender Sender, int Port, TestPacketCrypto? Crypto)> StartAsync(TwampModes mode, uint padding)
    {
        var sender = new TestSender();
        var (client, _, _) = await _server.SetUpAsync(mode);
        var answer = await client.RequestSessionAsync(TestServer.Request(sender.Port, padding: padding), TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, answer.Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
        var crypto = mode.TestSecurity() == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(client.Keys!, answer.Sid, mode.TestSecurity());
        return (sender, answer.Port, crypto);
    }

    /// <summary>Ping-pong <paramref name="count"/> packets; returns how many replies came back. Allocation-free.</summary>
    static int RoundTrips(TestSender sender, UdpPeer reflector, byte[] packet, TestPacketCrypto? crypto, int count, uint firstSequence)
    {
        int replies = 0;
        for (int i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet, firstSequence + (uint)i);
            crypto?.ProtectSender(packet);
            sender.Socket.SendTo(packet, reflector, -1);
            if (sender.Socket.Receive(sender.Batch, 1000) > 0) replies++;
            if (crypto is not null) packet.AsSpan(0, 16).Clear(); // re-encrypt from plaintext next time
        }
        return replies;
    }

    (long MinBytes, int Replies) Measure(TestSender sender, int port, TestPacketCrypto? crypto, TestPacketLayout layout, uint padding)
    {
        var packet = TestSender.Packet(layout, (int)padding, 0, default);
        var peer = UdpPeer.From(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        Assert.Equal(200, RoundTrips(sender, peer, packet, crypto, 200, 0)); // warm-up: JIT, tiering, first-use buffers
        long min = long.MaxValue;
        int replies = 0;
        for (int window = 0; window < 5; window++)
        {
            Thread.Sleep(5);
            long before = _server.Engine.ThreadAllocatedBytes;
            long processBefore = GC.GetTotalAllocatedBytes(precise: true);
            replies += RoundTrips(sender, peer, packet, crypto, 2000, 1000 + (uint)window * 2000);
            long process = GC.GetTotalAllocatedBytes(precise: true) - processBefore;
            Thread.Sleep(5); // the reflector refreshes its counter right after the batch it answered
            long delta = _server.Engine.ThreadAllocatedBytes - before;
            min = Math.Min(min, delta);
            output.WriteLine($"window {window}: reflector thread {delta} bytes, whole process {process} bytes, for 2000 reflected packets");
        }
        return (min, replies);
    }

    [Fact]
    public async Task UnauthenticatedReflectionAllocatesNothingPerPacket()
    {
        var (sender, port, _) = await StartAsync(TwampModes.Unauthenticated, 27);
        using var _ = sender;

        var (minBytes, replies) = Measure(sender, port, null, TestPacketLayout.Unauthenticated, 27);

        output.WriteLine($"unauth: best window {minBytes} bytes / 2000 packets = {minBytes / 2000.0:0.###} bytes per packet");
        Assert.Equal(10000, replies);
        Assert.True(minBytes < 1024, $"{minBytes} bytes allocated while reflecting 2000 packets");
    }

    [Fact]
    public async Task AuthenticatedReflectionAllocatesNothingPerPacket()
    {
        var (sender, port, crypto) = await StartAsync(TwampModes.Authenticated, 64);
        using var _ = sender;
        using var c = crypto;

        // The sender's own ProtectSender runs on this thread: measure it alone and subtract.
        var probe = TestSender.Packet(TestPacketLayout.Authenticated, 64, 0, default);
        for (int i = 0; i < 200; i++) { crypto!.ProtectSender(probe); probe.AsSpan(0, 16).Clear(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++) { crypto!.ProtectSender(probe); probe.AsSpan(0, 16).Clear(); }
        long senderSide = GC.GetAllocatedBytesForCurrentThread() - before;

        var (minBytes, replies) = Measure(sender, port, crypto, TestPacketLayout.Authenticated, 64);

        output.WriteLine($"auth: sender-side crypto {senderSide} bytes / 2000; reflector thread best window {minBytes} bytes / 2000 packets");
        Assert.Equal(10000, replies);
        // The test-packet crypto uses cached ECB transforms: neither side allocates per packet.
        Assert.True(senderSide < 1024, $"sender-side crypto allocated {senderSide} bytes for 2000 packets");
        Assert.True(minBytes < 1024, $"{minBytes} bytes allocated while reflecting 2000 authenticated packets");
    }
}
