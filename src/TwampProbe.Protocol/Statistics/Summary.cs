namespace TwampProbe.Protocol.Statistics;

/// <summary>Order statistics of a set of values (nearest-rank percentiles, RFC 5481 style).</summary>
public readonly record struct Summary(int Count, double Min, double Median, double P95, double P99, double Max, double Mean)
{
    public static Summary Empty => new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    public static Summary Of(IEnumerable<double> values)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0) return Empty;
        Array.Sort(sorted);
        return new Summary(sorted.Length, sorted[0], Percentile(sorted, 50), Percentile(sorted, 95),
            Percentile(sorted, 99), sorted[^1], sorted.Average());
    }

    /// <summary>Nearest-rank percentile of sorted data: the smallest value with at least p % of values ≤ it.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
