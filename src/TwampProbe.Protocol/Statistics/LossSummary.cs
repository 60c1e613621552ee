namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// Loss of one stream of <see cref="Sent"/> packets (RFC 7680 §3: a packet not received within the
/// threshold is lost; <see cref="Late"/> of the <see cref="Lost"/> did arrive, after it). A burst is a
/// run of consecutive lost sequence numbers (a loss period); <see cref="Bursts"/> counts the runs and
/// <see cref="LongestBurst"/> is the longest.
/// </summary>
public readonly record struct LossSummary(long Sent, long Lost, long Late, long Bursts, long LongestBurst)
{
    public double Percent => Sent == 0 ? 0 : 100.0 * Lost / Sent;
}
