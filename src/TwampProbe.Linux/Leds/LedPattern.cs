namespace TwampProbe.Linux.Leds;

/// <summary>
/// A steady-or-blinking output: lit for <see cref="OnMs"/>, dark for <see cref="OffMs"/>, repeating,
/// starting lit at the moment the state was entered. <c>OnMs = 0</c> is always off; <c>OffMs = 0</c>
/// (with <c>OnMs &gt; 0</c>) is solid on. All durations are multiples of the 50 ms tick.
/// </summary>
/// <remarks>
/// <para>State → LED table (status / activity / fault):</para>
/// <list type="table">
/// <listheader><term>State</term><description>status LED · activity LED · fault LED</description></listheader>
/// <item><term>Booting</term><description>slow blink 1 Hz (500 ms on / 500 ms off) · off · off</description></item>
/// <item><term>Ready</term><description>solid on · 50 ms flash when test traffic was seen (at most one flash per 500 ms) · off</description></item>
/// <item><term>Active</term><description>solid on · 50 ms flash when test traffic was seen (at most one flash per 500 ms) · off</description></item>
/// <item><term>Fault</term><description>fast blink 4 Hz (100 ms on / 150 ms off) · flashes on traffic as above · solid on</description></item>
/// </list>
/// <para>Without an activity LED, traffic in Ready/Active makes the status LED wink off for 50 ms instead.
/// Without a fault LED, Fault is still recognisable by the fast-blinking status LED.
/// Continuous traffic therefore gives a steady 2 Hz flicker; a single packet gives one flash within one tick.</para>
/// </remarks>
public readonly record struct LedPattern(int OnMs, int OffMs)
{
    /// <summary>Period of <see cref="StatusLeds.Tick"/> when driven by <see cref="StatusLeds.Start"/>.</summary>
    public const int TickMs = 50;
    /// <summary>How long the activity LED is lit for traffic seen.</summary>
    public const int ActivityPulseMs = 50;
    /// <summary>Traffic is sampled at most once per this period (so at most one flash per period).</summary>
    public const int ActivityPeriodMs = 500;

    public static LedPattern Off => new(0, 0);
    public static LedPattern Solid => new(1, 0);
    /// <summary>1 Hz: 500 ms on, 500 ms off.</summary>
    public static LedPattern SlowBlink => new(500, 500);
    /// <summary>4 Hz: 100 ms on, 150 ms off (250 ms period, aligned with the 50 ms tick).</summary>
    public static LedPattern FastBlink => new(100, 150);

    /// <summary>Whether the LED is lit <paramref name="elapsedMs"/> after the pattern started.</summary>
    public bool IsOn(long elapsedMs)
    {
        if (OnMs <= 0) return false;
        if (OffMs <= 0) return true;
        if (elapsedMs < 0) elapsedMs = 0;
        return elapsedMs % (OnMs + OffMs) < OnMs;
    }

    /// <summary>The status LED's pattern for a state.</summary>
    public static LedPattern ForStatus(ProbeState state) => state switch
    {
        ProbeState.Booting => SlowBlink,
        ProbeState.Ready or ProbeState.Active => Solid,
        _ => FastBlink,
    };

    /// <summary>The fault LED's pattern for a state.</summary>
    public static LedPattern ForFault(ProbeState state) => state == ProbeState.Fault ? Solid : Off;
}
