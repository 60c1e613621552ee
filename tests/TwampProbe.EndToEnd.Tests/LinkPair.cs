namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// Two network namespaces a — b joined by one veth and nothing else: only IPv6 link-local addresses
/// (fe80::a on a's end, fe80::b and fe80::b2 on b's), DAD off so they are usable at once. Made by the test and
/// removed afterwards (needs root, as in CI).
/// </summary>
public sealed class LinkPair : IDisposable
{
    readonly string _id = Topology.NextId(); // unique per instance: the classes run in parallel
    public string A => $"lla{_id}";
    public string B => $"llb{_id}";
    /// <summary>a's end of the veth: the zone a uses for b's link-local address.</summary>
    public string AInterface => $"lva{_id}";
    public string BInterface => $"lvb{_id}";
    public const string ALinkLocal = "fe80::a";
    public const string BLinkLocal = "fe80::b";
    /// <summary>b's second link-local address, which routing never picks as the source (of equal IPv6 addresses Linux prefers the newest, this one is added first).</summary>
    public const string BLinkLocal2 = "fe80::b2";

    public LinkPair()
    {
        Cleanup();
        Topology.Sh($"ip netns add {A}", $"ip netns add {B}");
        foreach (var ns in new[] { A, B })
            Topology.Sh($"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.accept_dad=0", $"ip netns exec {ns} sysctl -qw net.ipv6.conf.default.accept_dad=0");
        Topology.Sh($"ip link add {AInterface} netns {A} type veth peer name {BInterface} netns {B}",
            // Only the fixed link-local addresses, no EUI-64 ones next to them.
            $"ip -n {A} link set dev {AInterface} addrgenmode none", $"ip -n {B} link set dev {BInterface} addrgenmode none",
            $"ip -n {A} addr add {ALinkLocal}/64 dev {AInterface} nodad",
            $"ip -n {B} addr add {BLinkLocal2}/64 dev {BInterface} nodad", $"ip -n {B} addr add {BLinkLocal}/64 dev {BInterface} nodad",
            $"ip -n {A} link set lo up", $"ip -n {B} link set lo up",
            $"ip -n {A} link set {AInterface} up", $"ip -n {B} link set {BInterface} up");
    }

    void Cleanup()
    {
        foreach (var ns in new[] { A, B })
            Binary.RunFile("ip", $"netns del {ns}", 10_000);
    }

    public void Dispose() => Cleanup();
}
