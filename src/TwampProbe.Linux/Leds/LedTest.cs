namespace TwampProbe.Linux.Leds;

/// <summary>The <c>led-test</c> cycle: each LED lit alone in turn so an operator can check the wiring.</summary>
public static class LedTest
{
    /// <summary>
    /// Turns every LED off, then lights each one for <paramref name="onMs"/> ms and turns it off
    /// again, logging one line per LED. A failing LED is logged and skipped.
    /// </summary>
    /// <returns>The number of LEDs that failed.</returns>
    public static int Cycle(IEnumerable<ILed> leds, Action<string> log, int onMs)
    {
        var list = leds.ToList();
        foreach (var led in list)
            try { led.Set(false); } catch { /* reported below */ }

        int failed = 0;
        foreach (var led in list)
        {
            try
            {
                log($"{led.Name}: on for {onMs} ms");
                led.Set(true);
                Thread.Sleep(onMs);
                led.Set(false);
            }
            catch (Exception e) // a broken LED must not stop the test of the others
            {
                failed++;
                log($"{led.Name}: FAILED: {e.Message}");
                try { led.Set(false); } catch { }
            }
        }
        return failed;
    }
}
