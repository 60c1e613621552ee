using System.Diagnostics;
using TwampProbe.Linux.Net;
using Xunit;

namespace TwampProbe.Linux.Tests;

public sealed class PollerTests
{
    [Fact]
    public void ReportsTheTokenOfTheSocketWithData()
    {
        using var a = Loopback.Bind(false);
        using var b = Loopback.Bind(true);
        using var sender = Loopback.Bind(true);
        using var poller = new Poller();
        poller.Add(a.Handle, 11);
        poller.Add(b.Handle, 22);
        Span<ulong> ready = stackalloc ulong[8];

        Assert.Equal(0, poller.Wait(ready, 0));

        sender.SendTo(new byte[4], Loopback.PeerOf(b), -1);
        int n = poller.Wait(ready, 2000);
        Assert.Equal(1, n);
        Assert.Equal(22ul, ready[0]);

        using var batch = new PacketBatch(4, 64);
        Assert.Equal(1, b.Receive(batch, 0));
        Assert.Equal(0, poller.Wait(ready, 0));

        using var sender4 = Loopback.Bind(false);
        sender4.SendTo(new byte[4], Loopback.PeerOf(a), -1);
        n = poller.Wait(ready, 2000);
        Assert.Equal(1, n);
        Assert.Equal(11ul, ready[0]);

        poller.Remove(a.Handle);
        Assert.Equal(0, poller.Wait(ready, 50)); // still readable, but no longer watched
    }

    [Fact]
    public void WakeReturnsFromWait()
    {
        using var a = Loopback.Bind(false);
        using var poller = new Poller();
        poller.Add(a.Handle, 1);
        var waker = new Thread(() =>
        {
            Thread.Sleep(100);
            poller.Wake();
        });
        var sw = Stopwatch.StartNew();
        waker.Start();
        Span<ulong> ready = stackalloc ulong[4];
        int n = poller.Wait(ready, 10_000);
        sw.Stop();
        waker.Join();
        Assert.Equal(0, n);
        Assert.InRange(sw.ElapsedMilliseconds, 50, 5000);

        // The wake was consumed: the next Wait times out.
        sw.Restart();
        Assert.Equal(0, poller.Wait(ready, 100));
        Assert.True(sw.ElapsedMilliseconds >= 80);
    }

    [Fact]
    public void ReservedTokenIsRejected()
    {
        using var a = Loopback.Bind(false);
        using var poller = new Poller();
        Assert.Throws<ArgumentOutOfRangeException>(() => poller.Add(a.Handle, ulong.MaxValue));
    }
}
