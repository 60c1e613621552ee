using System.Diagnostics;
using TwampProbe.Sessions;
using TwampProbe.Tests.Cli;
using TwampProbe.Time;

namespace TwampProbe.Tests.Sessions;

/// <summary>
/// Sends that fail (here: a route that prohibits the reflector's address for a while) must not cost the
/// packets after them their TX timestamps. The kernel numbers only successful sends (OPT_ID), so each
/// later packet's stamp is found by the send index written for its sequence number. In a network
/// namespace of its own, where the rule can be set (needs root, as in CI).
/// </summary>
[Collection(SenderTimingCollection.Name)]
public sealed class FailedSendsTests
{
    [Fact]
    public async Task ABurstOfFailedSendsLeavesTheLaterPacketsTheirTxTimestamps()
    {
        // 400 packets 2 ms apart, every reply held 30 ms (15 packets in flight); from packet ~100, 120 ms of
        // sends fail (about 60 in a row). A search of the last few send indices lost every later stamp here.
        using var scoped = NetNamespaces.Create("tpfail");
        string ns = scoped.Name;
        // The local table's rule moves behind a slot where a prohibit rule can go first.
        NetNamespaces.Sh($"ip -n {ns} rule add pref 100 table local");
        NetNamespaces.Sh($"ip -n {ns} rule del pref 0");
        ScriptedReflector? reflector = null;
        SessionSender? sender = null;
        using var clock = new ClockState(TimeSpan.Zero);
        var t = new Thread(() =>
        {
            // Sockets belong to the namespace of the thread that creates them.
            NetNamespaces.Enter(ns);
            reflector = new ScriptedReflector(delayed: Enumerable.Range(0, 400).ToDictionary(i => (uint)i, _ => TimeSpan.FromMilliseconds(30)));
            sender = new SessionSender(IPAddress.Loopback, new SenderOptions
            {
                Count = 400, Interval = TimeSpan.FromMilliseconds(2), LossTimeout = TimeSpan.FromSeconds(1),
            }, clock);
        });
        t.Start();
        t.Join();
        using (reflector)
        using (sender)
        {
            sender!.Target(new IPEndPoint(IPAddress.Loopback, reflector!.Port), null, default, light: true);
            var run = Task.Run(() => sender.Run(TestServer.Timeout(30)));
            await Task.Delay(200);
            NetNamespaces.Sh($"ip -n {ns} rule add pref 50 to 127.0.0.1 prohibit");
            await Task.Delay(120);
            NetNamespaces.Sh($"ip -n {ns} rule del pref 50");
            await run.WaitAsync(TimeSpan.FromSeconds(30));

            var st = sender.Statistics;
            Assert.Equal(400, st.PacketsSent);
            Assert.True(st.Lost >= 20, $"only {st.Lost} lost: the sends did not fail");
            Assert.True(st.PacketsReceived >= 200, $"{st.PacketsReceived} received");
            Assert.True(st.DeparturesFromTransmitTimestamps, $"{st.WithoutTransmitTimestamp} of {st.PacketsReceived} replies have no TX timestamp");
        }
    }
}
