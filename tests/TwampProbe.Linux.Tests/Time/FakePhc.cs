using TwampProbe.Linux.Time;

namespace TwampProbe.Linux.Tests.Time;

/// <summary>
/// A PHC with a known offset and rate against a simulated system clock: phc = (system − origin) × (1 + rate)
/// + origin + offset. Every system-clock read advances the simulated time by the next of <see cref="Advances"/>:
/// a bracket (system, PHC, system) is as wide as the advance after its first read, and the PHC is read at its
/// end, so a test controls how well each read is bracketed and knows the true answer.
/// </summary>
sealed class FakePhc(long systemStart, long offsetNs, double rate) : IPhcClock
{
    readonly long _origin = systemStart;
    public long System = systemStart;
    public long OffsetNs = offsetNs;
    public double Rate = rate;
    public bool Fails;
    /// <summary>Advances of the simulated system clock per read, cycled.</summary>
    public long[] Advances = [50];
    int _next;

    public string Name => "fake-phc";

    /// <summary>The PHC reading at simulated system time <paramref name="system"/>.</summary>
    public long PhcAt(long system) => _origin + OffsetNs + (long)((system - _origin) * (1 + Rate));

    /// <summary>PHC reads so far.</summary>
    public int Reads => Volatile.Read(ref _reads);
    int _reads;

    public bool TryReadPhc(out long nanoseconds)
    {
        Interlocked.Increment(ref _reads);
        nanoseconds = Fails ? 0 : PhcAt(System);
        return !Fails;
    }

    public long ReadSystem()
    {
        long now = System;
        System += Advances[_next++ % Advances.Length];
        return now;
    }
}
