using System.Diagnostics;
using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Sessions;
using TwampProbe.Tests.Support;
using TwampProbe.Time;

namespace TwampProbe.Tests.Sessions;

/// <summary>
/// A reply that finds its socket's send buffer full is dropped and counted (send-buffer-full), and
/// the reflector thread goes on serving: it never waits for buffer space. The buffer is filled for
/// real, in a network namespace the test makes: replies to a neighbour that never answers ARP stay
/// queued (charged to the socket) until resolution fails, seconds later. Needs root (as in CI).
/// </summary>
public sealed class SendBufferFullTests
{
    const string Unresolved = "10.98.0.2";

    [Fact]
    public void FullSendBufferIsCountedAsADropAndTheThreadKeepsServing()
    {
        using var scoped = NetNamespaces.Create("tppoll");
        string ns = scoped.Name;
        NetNamespaces.Sh($"ip -n {ns} link add v0 type veth peer name v1");
        NetNamespaces.Sh($"ip -n {ns} addr add 10.98.0.1/24 dev v0");
        NetNamespaces.Sh($"ip -n {ns} link set v0 up");
        NetNamespaces.Sh($"ip -n {ns} link set v1 up");
        Exception? failure = null;
        // Sockets belong to the namespace of the thread that creates them: this one moves there.
        var t = new Thread(() =>
        {
            try { RunInNamespace(ns); }
            catch (Exception e) { failure = e; }
        });
        t.Start();
        t.Join();
        if (failure is not null) throw new Xunit.Sdk.XunitException($"in namespace {ns}: {failure}");
    }

    static void RunInNamespace(string ns)
    {
        NetNamespaces.Enter(ns);

        using var clock = new ClockState(TimeSpan.Zero);
        // 64 KiB asked, 128 KiB granted: room for a few dozen queued replies of 1 KB.
        using var engine = new ReflectorEngine(clock, new ReflectorOptions { SocketBufferBytes = 64 << 10 });
        var light = new LightReflector([AddressPrefix.Parse("10.98.0.0/24"), AddressPrefix.Parse("127.0.0.0/8")]);
        var reflector = engine.Open(new IPEndPoint(IPAddress.Any, 0), light);
        int port = reflector.LocalEndPoint.Port;

        // A sender at an address of the veth's subnet that no one owns (IP_TRANSPARENT): its replies wait for ARP.
        using var far = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        far.SetRawSocketOption(0 /* IPPROTO_IP */, 19 /* IP_TRANSPARENT */, BitConverter.GetBytes(1));
        far.Bind(new IPEndPoint(IPAddress.Parse(Unresolved), 0));
        var layout = TestPacketLayout.Unauthenticated;
        var packet = TestSender.Packet(layout, 1000, 0, NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds()));
        var to = new IPEndPoint(IPAddress.Parse("10.98.0.1"), port);
        for (int i = 0; i < 400; i++)
        {
            far.SendTo(packet, to);
            if (i % 20 == 19) Thread.Sleep(2); // let the reflector keep up: the drops are on its send side
        }
        long deadline = Environment.TickCount64 + 3000;
        while (Volatile.Read(ref engine.Dropped[(int)DropReason.SendBufferFull]) == 0 && Environment.TickCount64 < deadline) Thread.Sleep(10);
        long full = Volatile.Read(ref engine.Dropped[(int)DropReason.SendBufferFull]);
        Assert.True(full > 0, "no reply was dropped for a full send buffer");

        // While those replies still wait for ARP (seconds) and hold that socket's buffer, another socket
        // of the same thread is answered at once: the thread did not block in sendmmsg.
        var other = engine.Open(new IPEndPoint(IPAddress.Loopback, 0), light);
        using var near = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        near.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // Blocked, the thread would be stuck until ARP gives up (3 probes, 1 s apart) frees those replies.
        near.ReceiveTimeout = 2000;
        near.SendTo(TestSender.Packet(layout, 27, 7, NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds())), other.LocalEndPoint);
        var buffer = new byte[2048];
        int n = near.Receive(buffer);
        Assert.Equal(7u, new ReflectorPacket(buffer.AsSpan(0, n), layout).SenderSequenceNumber);
        Assert.Equal(0, engine.InternalErrors);
        Assert.True(reflector.Socket.SendsWouldBlock >= full);
    }
}
