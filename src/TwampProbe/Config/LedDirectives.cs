namespace TwampProbe.Config;

/// <summary>How one status LED is wired.</summary>
public sealed record LedSpec(LedRole Role, LedBackend Backend, string Target, int Line, bool ActiveLow);

public enum LedRole { Status, Activity, Fault }
public enum LedBackend { Gpio, Sysfs }

/// <summary>
/// <c>led ROLE gpio CHIP LINE [active-low]</c> or <c>led ROLE sysfs NAME [active-low]</c>;
/// ROLE is status, activity or fault.
/// </summary>
public static class LedDirectives
{
    public static IEnumerable<string> Names => ["led"];

    const string LedUsage = "ROLE gpio CHIP LINE [active-low] | ROLE sysfs NAME [active-low] (ROLE: status, activity, fault)";

    public static IEnumerable<(string, bool, string)> Describe() => [("led", true, LedUsage)];

    public static string Usage(string name) => name == "led" ? LedUsage : "";

    public static bool TryApply(ConfigFile.Builder b, string name, string[] a, Func<string, ConfigException> fail)
    {
        if (name != "led") return false;
        if (a.Length < 3) throw fail("missing values");
        if (!Enum.TryParse<LedRole>(a[0], true, out var role)) throw fail($"'{a[0]}' is not a role (status, activity, fault)");
        bool activeLow = a[^1] == "active-low";
        var rest = activeLow ? a[1..^1] : a[1..];
        LedSpec spec = rest switch
        {
            ["gpio", var chip, var line] when int.TryParse(line, out int l) && l >= 0 => new(role, LedBackend.Gpio, chip, l, activeLow),
            ["gpio", ..] => throw fail("gpio needs CHIP (number or gpiochipN) and a LINE number"),
            ["sysfs", var ledName] when !ledName.Contains('/') => new(role, LedBackend.Sysfs, ledName, 0, activeLow),
            ["sysfs", ..] => throw fail("sysfs needs the NAME under /sys/class/leds"),
            _ => throw fail($"'{rest.FirstOrDefault()}' is not gpio or sysfs"),
        };
        if (b.LedOrigins.TryGetValue(role, out var first)) throw b.Problem($"LED role '{a[0]}' is configured twice (first at {first}): remove one of the two lines");
        b.LedOrigins[role] = b.Origin;
        b.App = b.App with { Leds = [.. b.App.Leds, spec] };
        return true;
    }
}
