namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// Order statistics of a set of delays, or of delay differences (IPDV, PDV), in whatever unit the
/// values came in. Percentiles are nearest-rank: the smallest value with at least p % of the values
/// at or below it, so every percentile is a value that was measured. An empty set has Count 0 and
/// NaN everywhere (the report prints "-" or null); one value is its own min, percentiles and max.
/// </summary>
public readonly record struct DelaySummary(int Count, double Min, double P50, double P90, double P95, double P99, double Max, double Mean)
{
    public static DelaySummary Empty => new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>The 50th percentile under its older name (kept for the <c>median</c> JSON field).</summary>
    public double Median => P50;

    /// <summary>
    /// perfSONAR twping's (and owping's) "jitter": the 95th minus the 50th percentile of the delays
    /// (owamp stats.c CalculateJitter). It is a spread of the delay distribution, a PDV-style quantity,
    /// not IPDV. NaN without values.
    /// </summary>
    public double P95MinusP50 => P95 - P50;

    public static DelaySummary Of(IEnumerable<double> values) => OfSorted(Sorted(values.ToArray()));

    /// <summary>Summarizes <paramref name="values"/>, sorting the array in place.</summary>
    public static DelaySummary OfInPlace(double[] values) => OfSorted(Sorted(values));

    static double[] Sorted(double[] values)
    {
        Array.Sort(values);
        return values;
    }

    /// <summary>Summarizes values already sorted ascending (not checked).</summary>
    internal static DelaySummary OfSorted(double[] sorted)
    {
        if (sorted.Length == 0) return Empty;
        double sum = 0;
        foreach (var v in sorted) sum += v;
        return new DelaySummary(sorted.Length, sorted[0], Percentile(sorted, 50), Percentile(sorted, 90),
            Percentile(sorted, 95), Percentile(sorted, 99), sorted[^1], sum / sorted.Length);
    }

    /// <summary>Nearest-rank percentile of sorted data: the value at rank ⌈p/100 · n⌉ (1-based); NaN when empty.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        // p · n first: exact for whole percentages, so 90 % of 10 is rank 9, not 9.000000000000002 → 10.
        int rank = (int)Math.Ceiling(p * sorted.Length / 100.0);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
