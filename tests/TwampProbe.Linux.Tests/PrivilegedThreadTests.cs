using System.Net;
using System.Net.Sockets;
using TwampProbe.Linux.Interop;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Scheduling;
using TwampProbe.Linux.Security;
using Xunit;

namespace TwampProbe.Linux.Tests;

/// <summary>
/// The thread that keeps the capabilities runs privileged work for callers. The real drop from
/// root changes the whole test process, so it is tested end to end (PrivilegeTests); here a
/// caller thread empties its own capability sets (capset acts on one thread), which is what every
/// thread but the privileged one looks like after the drop.
/// </summary>
public sealed unsafe class PrivilegedThreadTests
{
    [Fact]
    public void WorkRunsOnThePrivilegedThreadAndItsResultComesBack()
    {
        using var privileged = new PrivilegedThread();
        int caller = ThreadTuning.CurrentThreadId();
        int ran = privileged.Invoke(ThreadTuning.CurrentThreadId);
        Assert.Equal(privileged.ThreadId, ran);
        Assert.NotEqual(caller, ran);
        Assert.Equal("privileged", File.ReadAllText($"/proc/self/task/{ran}/comm").Trim());
    }

    [Fact]
    public void AnExceptionGoesBackToTheCallerWithItsTypeAndTheThreadKeepsServing()
    {
        using var privileged = new PrivilegedThread();
        var e = Assert.Throws<SocketException>(() => privileged.Invoke<int>(() => throw new SocketException((int)SocketError.AccessDenied)));
        Assert.Equal(SocketError.AccessDenied, e.SocketErrorCode);
        Assert.Contains(nameof(AnExceptionGoesBackToTheCallerWithItsTypeAndTheThreadKeepsServing), e.StackTrace);
        Assert.Throws<InvalidOperationException>(() => privileged.Invoke(() => throw new InvalidOperationException("x")));
        Assert.Equal(42, privileged.Invoke(() => 42));
        Assert.Equal(2, privileged.Failures);
    }

    [Fact]
    public void ManyCallersInterleavingFailuresEachGetTheirOwnOutcome()
    {
        using var privileged = new PrivilegedThread();
        const int Threads = 8, Calls = 2000;
        var errors = new List<string>();
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < Calls; i++)
            {
                int v = t * Calls + i;
                try
                {
                    int r = privileged.Invoke(() => v % 3 == 0 ? throw new ArgumentException(v.ToString()) : v);
                    if (r != v || v % 3 == 0) lock (errors) errors.Add($"{v}: got {r}");
                }
                catch (ArgumentException e) when (v % 3 == 0 && e.Message == v.ToString()) { }
                catch (Exception e) { lock (errors) errors.Add($"{v}: {e.GetType().Name} {e.Message}"); }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.Empty(errors);
        Assert.Equal(Enumerable.Range(0, Threads * Calls).Count(v => v % 3 == 0), privileged.Failures);
    }

    [Fact]
    public void InvokeFromWorkOnThePrivilegedThreadRunsInline()
    {
        using var privileged = new PrivilegedThread();
        Assert.Equal(privileged.ThreadId, privileged.Invoke(() => privileged.Invoke(ThreadTuning.CurrentThreadId)));
    }

    [Fact]
    public void AfterDisposeInvokeThrowsObjectDisposed()
    {
        var privileged = new PrivilegedThread();
        privileged.Dispose();
        Assert.Throws<ObjectDisposedException>(() => privileged.Invoke(() => 1));
        privileged.Dispose();
    }

    [Fact]
    public void AThreadWithoutCapabilitiesGetsAPrivilegedPortAndAForcedBufferThroughIt()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root)");
        long rmemMax = long.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim());
        int buffer = (int)Math.Min(64L << 20, rmemMax * 2);
        Assert.True(buffer > rmemMax, $"net.core.rmem_max {rmemMax} too large to tell a forced buffer apart");
        using var privileged = new PrivilegedThread();
        var options = new UdpSocketOptions { ReceiveBufferBytes = buffer };
        RunWithoutCapabilities(() =>
        {
            Assert.Equal((0UL, 0UL), Privileges.ThreadCapabilities(ThreadTuning.CurrentThreadId()));
            // This thread itself cannot bind below 1024 any more ...
            var denied = Assert.Throws<SocketException>(() => BindPrivileged(p => UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, p), options)));
            Assert.Equal(SocketError.AccessDenied, denied.SocketErrorCode);
            // ... nor force a buffer past rmem_max.
            using (var own = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), options))
                Assert.Equal(2 * rmemMax, ReceiveBuffer(own));
            // The privileged thread can, for it.
            using var socket = BindPrivileged(p => privileged.Invoke(() => UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, p), options)));
            Assert.True(socket.LocalEndPoint.Port < 1024);
            Assert.Equal(2L * buffer, ReceiveBuffer(socket));
        });
    }

    [Fact]
    public void SchedFifoIsSetForTheCallingThreadByThePrivilegedThread()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root)");
        using var privileged = new PrivilegedThread();
        RunWithoutCapabilities(() =>
        {
            Assert.Throws<InvalidOperationException>(() => ThreadTuning.SetFifo(5));
            int tid = ThreadTuning.CurrentThreadId();
            privileged.Invoke(() => ThreadTuning.SetFifo(5, tid));
            string stat = File.ReadAllText("/proc/thread-self/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            Assert.Equal("1", fields[41 - 3]); // policy SCHED_FIFO
            Assert.Equal("5", fields[40 - 3]); // rt_priority
        });
        // The privileged thread itself is untouched.
        Assert.Equal("0", File.ReadAllText($"/proc/self/task/{privileged.ThreadId}/stat").Split(") ")[1].Split(' ')[41 - 3]);
    }

    /// <summary>Tries ports 700..799 (another test or process may hold some).</summary>
    static UdpTestSocket BindPrivileged(Func<int, UdpTestSocket> bind)
    {
        for (int port = 700; ; port++)
        {
            try { return bind(port); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && port < 799) { }
        }
    }

    static long ReceiveBuffer(UdpTestSocket socket)
    {
        int value = 0;
        uint length = sizeof(int);
        Assert.Equal(0, SocketCalls.getsockopt(socket.Handle, LinuxConstants.SOL_SOCKET, LinuxConstants.SO_RCVBUF, &value, &length));
        return value;
    }

    /// <summary>Runs <paramref name="action"/> on a new thread whose capability sets are emptied first (the thread then ends).</summary>
    static void RunWithoutCapabilities(Action action)
    {
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                Privileges.ClearCurrentThread();
                action();
            }
            catch (Exception e) { error = e; }
        });
        t.Start();
        t.Join();
        if (error is not null) throw new Xunit.Sdk.XunitException(error.ToString());
    }
}
