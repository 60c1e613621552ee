namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// Three network namespaces a — r — b joined by veth pairs, with forwarding in r: a real routed
/// hop for TTL, DSCP and ECN. Made by the test and removed afterwards (needs root, as in CI).
/// </summary>
public sealed class Topology : IDisposable
{
    /// <summary>
    /// This process and a count: the end-to-end classes run in parallel, so every instance (one per
    /// test) gets namespaces and veth names of its own. Names stay within IFNAMSIZ (15).
    /// </summary>
    internal static string NextId() => $"{Environment.ProcessId % 10000}x{Interlocked.Increment(ref _instances)}";
    static int _instances;
    readonly string _id = NextId();
    public string A => $"tpa{_id}";
    public string R => $"tpr{_id}";
    public string B => $"tpb{_id}";
    public const string BAddress4 = "10.77.2.2";
    public const string BAddress6 = "fd77:2::2";
    /// <summary>
    /// Secondary addresses of b, which routing never picks as the source: IPv4 ones come after the
    /// primary of the subnet; of equal IPv6 ones Linux prefers the newest, so this one is added first.
    /// </summary>
    public const string BSecondary4 = "10.77.2.3";
    public const string BSecondary6 = "fd77:2::3";

    public Topology()
    {
        Cleanup();
        Sh($"ip netns add {A}", $"ip netns add {R}", $"ip netns add {B}");
        // No DAD: a tentative link-local address cannot send Neighbor Discovery, which would drop the
        // first IPv6 packets (TWAMP Light has no TCP handshake in front to wait for it).
        foreach (var ns in new[] { A, R, B })
            Sh($"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.accept_dad=0", $"ip netns exec {ns} sysctl -qw net.ipv6.conf.default.accept_dad=0");
        Sh(
           $"ip link add va{_id} netns {A} type veth peer name ra{_id} netns {R}",
           $"ip link add vb{_id} netns {B} type veth peer name rb{_id} netns {R}",
           $"ip -n {A} addr add 10.77.1.1/24 dev va{_id}", $"ip -n {R} addr add 10.77.1.2/24 dev ra{_id}",
           $"ip -n {R} addr add 10.77.2.1/24 dev rb{_id}", $"ip -n {B} addr add {BAddress4}/24 dev vb{_id}",
           $"ip -n {B} addr add {BSecondary4}/24 dev vb{_id}", $"ip -n {B} addr add {BSecondary6}/64 dev vb{_id} nodad",
           $"ip -n {A} addr add fd77:1::1/64 dev va{_id} nodad", $"ip -n {R} addr add fd77:1::2/64 dev ra{_id} nodad",
           $"ip -n {R} addr add fd77:2::1/64 dev rb{_id} nodad", $"ip -n {B} addr add {BAddress6}/64 dev vb{_id} nodad",
           $"ip -n {A} link set lo up", $"ip -n {R} link set lo up", $"ip -n {B} link set lo up",
           $"ip -n {A} link set va{_id} up", $"ip -n {R} link set ra{_id} up", $"ip -n {R} link set rb{_id} up", $"ip -n {B} link set vb{_id} up",
           $"ip netns exec {R} sysctl -qw net.ipv4.ip_forward=1", $"ip netns exec {R} sysctl -qw net.ipv6.conf.all.forwarding=1",
           $"ip -n {A} route add default via 10.77.1.2", $"ip -n {B} route add default via 10.77.2.1",
           $"ip -n {A} -6 route add default via fd77:1::2", $"ip -n {B} -6 route add default via fd77:2::1");
    }

    public static void Sh(params string[] commands)
    {
        foreach (var c in commands)
        {
            var parts = c.Split(' ', 2);
            var r = Binary.RunFile(parts[0], parts[1], 20_000);
            if (r.ExitCode != 0) throw new InvalidOperationException($"'{c}' failed ({r.ExitCode}): {r.Stderr}");
        }
    }

    void Cleanup()
    {
        foreach (var ns in new[] { A, R, B })
            Binary.RunFile("ip", $"netns del {ns}", 10_000);
    }

    public void Dispose() => Cleanup();
}
