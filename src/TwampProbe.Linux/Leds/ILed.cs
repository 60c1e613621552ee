namespace TwampProbe.Linux.Leds;

/// <summary>
/// One physical LED. <see cref="Set"/> takes the logical state (true = lit); any active-low
/// inversion is done by the implementation. Disposing releases the underlying line/file.
/// </summary>
public interface ILed : IDisposable
{
    /// <summary>Human-readable identification for logs, e.g. "gpiochip0 line 17".</summary>
    string Name { get; }

    /// <summary>Lights (<paramref name="on"/> = true) or darkens the LED. May throw IOException.</summary>
    void Set(bool on);
}
