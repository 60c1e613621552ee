using System.Reflection;

namespace TwampProbe.Tests.Support;

/// <summary>
/// Every fixed port this assembly binds, in one table: the one place to pick a range for a new class.
/// <para>xunit runs the test classes of this assembly in parallel (no xunit.runner.json: one collection
/// per class, all collections at once), so each class that lets a server bind UDP test ports owns a
/// range that no other class uses (the server skips a port that is taken, so an overlap shows up as a
/// "wrong" port, an exhausted range or another test's packets). Inside a class the tests run one after
/// another, so a class may reuse or split its own range freely.</para>
/// <para>All of them lie below Linux's ephemeral ports (net.ipv4.ip_local_port_range, 32768-60999 by
/// default): a port in there can be taken at any moment by any outgoing connection or port-0 socket of
/// any process on the machine. TCP control listeners, TWAMP Light listeners and client sockets bind
/// port 0 and read the port back; only the test ports (chosen by the server from its range) and the
/// ports a capture replay needs are fixed.</para>
/// <para>Sender Port values in Request-TW-Session messages (e.g. <c>TestServer.Request(31200)</c>) are
/// data the server checks and echoes, never bound, and need no range.</para>
/// <para><see cref="TestPortsTests"/> checks that the ranges are disjoint and below 32768.</para>
/// </summary>
internal static class TestPorts
{
    public readonly record struct Range(int Low, int High)
    {
        public int Count => High - Low + 1;
        public bool Contains(int port) => port >= Low && port <= High;
        public bool Overlaps(Range other) => Low <= other.High && other.Low <= High;
        public override string ToString() => $"{Low}-{High}";
    }

    /// <summary>The lowest port of Linux's default ephemeral range; every range here ends below it.</summary>
    public const int EphemeralFloor = 32768;

    // Owner (class)                                   Range              What binds there
    public static readonly Range TwpingSenderPort = new(9599, 9599);     // TwpingReplayTests: twping's own sender port, from the capture
    public static readonly Range OwampHostilePeer = new(28000, 28129);   // OwampHostilePeerTests (28000+mode, then 28010 ... 28080, 50 each)
    public static readonly Range OwampServerHangUpStress = new(28200, 28249);
    public static readonly Range OwampCapacity = new(28300, 28499);      // 4 servers x 50
    public static readonly Range OwampAdmission = new(28500, 28849);     // 7 servers x 50
    public static readonly Range HangUpStress = new(29000, 29099);
    public static readonly Range ClockStep = new(29100, 29149);
    public static readonly Range RequestPolicy = new(29200, 29249);
    public static readonly Range ConnectionTable = new(29350, 29399);    // TCP control and Light listeners: port 0
    public static readonly Range OwampSlowPeer = new(29400, 29499);     // OwampSlowPeerTests: servers at +0, +50
    public static readonly Range OwpingClient = new(28900, 28949);       // ClientAgainstServerTests: owping against an in-process server
    public static readonly Range ControlSetup = new(30000, 30049);
    public static readonly Range ControlCommand = new(30100, 30149);
    public static readonly Range ReceiverPort = new(30200, 30249);
    public static readonly Range Timer = new(30300, 30349);
    public static readonly Range ReflectorEngine = new(30400, 30459);    // test ports 30400-30449, Light 30455-30456
    public static readonly Range ReflectorAllocation = new(30500, 30549);
    public static readonly Range TwpingReplay = new(30700, 30749);
    public static readonly Range SessionSender = new(30800, 30849);
    public static readonly Range Log = new(30850, 30859);                // LogTests
    public static readonly Range ReflectorPoll = new(31000, 31099);
    public static readonly Range ReflectorPool = new(31100, 31149);
    public static readonly Range OwampServerSession = new(31650, 31999); // servers at +0 ... +260, 50 each
    public static readonly Range OwampServerFetchAndLimit = new(32000, 32399);
    public static readonly Range OwampServerBadInput = new(32400, 32559);
    public static readonly Range OwampServerReplay = new(32600, 32649);
    public static readonly Range OwampServerConfig = new(32700, 32749);

    /// <summary>Every range of the table, by its field name.</summary>
    public static IReadOnlyList<(string Owner, Range Range)> All { get; } =
        typeof(TestPorts).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(Range))
            .Select(f => (f.Name, (Range)f.GetValue(null)!))
            .ToList();
}

public sealed class TestPortsTests
{
    [Fact]
    public void RangesAreDisjointAndBelowTheEphemeralPorts()
    {
        var all = TestPorts.All;
        Assert.True(all.Count >= 20, $"{all.Count} ranges found");
        foreach (var (owner, range) in all)
        {
            Assert.True(range.Low >= 1024 && range.Low <= range.High, $"{owner} {range}");
            Assert.True(range.High < TestPorts.EphemeralFloor, $"{owner} {range} reaches into the ephemeral ports");
        }
        for (int i = 0; i < all.Count; i++)
            for (int j = i + 1; j < all.Count; j++)
                Assert.False(all[i].Range.Overlaps(all[j].Range), $"{all[i].Owner} {all[i].Range} overlaps {all[j].Owner} {all[j].Range}");
    }
}
