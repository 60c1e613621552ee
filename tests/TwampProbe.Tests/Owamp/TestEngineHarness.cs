using System.Security.Cryptography;
using TwampProbe.Owamp.Test;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Time;

namespace TwampProbe.Tests.Owamp;

/// <summary>Specs and clocks for the OWAMP-Test engine tests (real loopback sockets).</summary>
internal static class TestEngineHarness
{
    public static readonly ClockState Clock = new(TimeSpan.Zero);

    public static OwampTestSpec Spec(uint packets, TimeSpan interval, TestSecurity security = TestSecurity.Unauthenticated,
        bool exponential = false, TimeSpan? startIn = null, TimeSpan? timeout = null, uint padding = 0, SessionKeys? keys = null)
    {
        var sid = RandomNumberGenerator.GetBytes(16);
        long now = SystemClock.Instance.UnixNanoseconds;
        return new OwampTestSpec
        {
            Sid = sid,
            Slots = [exponential ? ScheduleSlot.Exponential(interval) : ScheduleSlot.Fixed(interval)],
            Packets = packets,
            StartTime = NtpTimestamp.FromUnixNanoseconds(now + (long)(startIn ?? TimeSpan.FromMilliseconds(50)).TotalNanoseconds),
            Timeout = NtpTimestamp.FromInterval((long)(timeout ?? TimeSpan.FromSeconds(1)).TotalNanoseconds),
            PaddingLength = padding,
            Security = security,
            Keys = security == TestSecurity.Unauthenticated ? null : keys ?? SessionKeys.CreateRandom(),
        };
    }

    public static IPEndPoint Loopback(int port = 0) => new(IPAddress.Loopback, port);

    /// <summary>Runs a receiver on its own thread while the sender sends on this one; returns when both are done.</summary>
    public static void RunBoth(OwampTestSender sender, OwampTestReceiver receiver, CancellationToken senderToken = default, CancellationToken receiverToken = default)
    {
        var rx = new Thread(() => receiver.Run(receiverToken)) { IsBackground = true, Name = "test-owamp-rx" };
        rx.Start();
        sender.Run(senderToken);
        rx.Join();
    }

    public static (OwampTestSender Sender, OwampTestReceiver Receiver) Pair(OwampTestSpec spec, int maxRecords = 100_000)
    {
        var receiver = new OwampTestReceiver(spec, Loopback(), Clock, maxRecords);
        var sender = new OwampTestSender(spec, Loopback(), Clock);
        receiver.ExpectFrom(sender.LocalEndPoint);
        sender.Target(receiver.LocalEndPoint);
        return (sender, receiver);
    }
}
