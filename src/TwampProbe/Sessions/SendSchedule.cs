namespace TwampProbe.Sessions;

/// <summary>
/// When each test packet leaves, as an offset from the start of the run (CLOCK_MONOTONIC nanoseconds).
/// Fixed: packet i at i × interval. Exponential (twping's <c>-i Ne</c>, RFC 2330 §11.1.1 Poisson
/// sampling): gaps drawn independently from an exponential distribution with mean interval, by
/// inversion (gap = −mean · ln(1 − U), U uniform in [0, 1)). Gaps are never negative, so the schedule
/// is monotonic; the generator is seeded once per run.
/// </summary>
public sealed class SendSchedule
{
    readonly long _interval;
    readonly Random? _random;
    long _next;
    int _index;

    public SendSchedule(TimeSpan interval, bool exponential, int? seed = null)
    {
        _interval = (long)interval.TotalNanoseconds;
        if (exponential) _random = new Random(seed ?? System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue));
    }

    /// <summary>The offset of the next packet; the first packet leaves at once (offset 0).</summary>
    public long Next()
    {
        long at = _next;
        _index++;
        if (_random is null) _next = _index * _interval;
        else
        {
            double gap = -_interval * Math.Log(1 - _random.NextDouble());
            _next = at + (long)Math.Min(gap, 3600e9); // a pathological draw cannot stall the run for hours
        }
        return at;
    }
}
