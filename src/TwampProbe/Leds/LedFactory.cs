using System.Globalization;
using TwampProbe.Config;
using TwampProbe.Linux.Leds;

namespace TwampProbe.Leds;

/// <summary>Builds the Linux LED driver described by one <c>led</c> config line.</summary>
public static class LedFactory
{
    /// <summary>
    /// Opens the LED: <c>gpio CHIP LINE</c> (CHIP "3", "gpiochip3" or "/dev/gpiochip3") or
    /// <c>sysfs NAME</c> under <paramref name="sysRoot"/>/class/leds. Throws (IOException,
    /// ArgumentException, …) with a message naming the chip/path when it cannot be opened.
    /// </summary>
    public static ILed Create(LedSpec spec, string? sysRoot = null)
    {
        // TWAMPPROBE_SYSFS_ROOT points the sysfs LEDs at another tree (image tests, development boxes).
        sysRoot ??= Environment.GetEnvironmentVariable("TWAMPPROBE_SYSFS_ROOT") is { Length: > 0 } env ? env : "/sys";
        string role = spec.Role.ToString().ToLowerInvariant();
        string low = spec.ActiveLow ? ", active-low" : "";
        return spec.Backend switch
        {
            LedBackend.Gpio => new GpioLed(ChipNumber(spec.Target), spec.Line, spec.ActiveLow,
                $"{role} (gpiochip{ChipNumber(spec.Target)} line {spec.Line}{low})"),
            LedBackend.Sysfs => new SysfsLed(spec.Target, spec.ActiveLow, sysRoot, $"{role} (sysfs {spec.Target}{low})"),
            _ => throw new ArgumentException($"unknown LED backend {spec.Backend}"),
        };
    }

    /// <summary>"3", "gpiochip3" or "/dev/gpiochip3" → 3.</summary>
    public static int ChipNumber(string target)
    {
        string t = target.StartsWith("/dev/", StringComparison.Ordinal) ? target[5..] : target;
        if (t.StartsWith("gpiochip", StringComparison.Ordinal)) t = t[8..];
        if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return n;
        throw new ArgumentException($"'{target}' is not a gpio chip (use a number or gpiochipN)");
    }
}
