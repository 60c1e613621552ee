using TwampProbe.Config;
using TwampProbe.Leds;
using TwampProbe.Linux.Leds;

namespace TwampProbe.Cli;

/// <summary>
/// <c>twampprobe led-test [-c FILE] [--sys-root DIR]</c>: lights every configured LED for 500 ms in
/// turn, one line per LED. Exit 0 when all LEDs worked, 3 on a config error, 5 when an LED cannot be
/// opened or written (the LEDs that did open are still cycled).
/// </summary>
public static class LedTestCommand
{
    const int OnMs = 500;
    /// <summary>Shares its value with <see cref="ExitCode.Network"/>: "the hardware/IO is not reachable".</summary>
    const int LedUnavailable = 5;

    public static int Run(string[] args)
    {
        string sysRoot = "/sys";
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--sys-root")
            {
                if (i + 1 >= args.Length) throw new UsageException("led-test: --sys-root needs a value");
                sysRoot = args[++i];
            }
            else if (args[i].StartsWith("--sys-root=", StringComparison.Ordinal)) sysRoot = args[i]["--sys-root=".Length..];
            else rest.Add(args[i]);
        }

        var options = ServeCommand.ParseOptions([.. rest], "led-test");
        AppSettings app;
        try { (_, app) = ServeCommand.Load(options); }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"twampprobe: {e.Message}");
            return ExitCode.Config;
        }
        if (app.Leds.Count == 0)
        {
            Console.Out.WriteLine("no LEDs configured (add 'led ROLE gpio CHIP LINE' or 'led ROLE sysfs NAME')");
            return ExitCode.Ok;
        }

        var leds = new List<ILed>();
        int failed = 0;
        try
        {
            foreach (var spec in app.Leds)
            {
                try { leds.Add(LedFactory.Create(spec, sysRoot)); }
                catch (Exception e) // any driver failure (libgpiod, sysfs, bad chip name) is reported, not a crash
                {
                    failed++;
                    Console.Error.WriteLine($"led {spec.Role.ToString().ToLowerInvariant()}: {e.Message} — check 'led' lines in the config");
                }
            }
            failed += LedTest.Cycle(leds, line => Console.Out.WriteLine($"led {line}"), OnMs);
        }
        finally
        {
            foreach (var led in leds) led.Dispose();
        }
        return failed == 0 ? ExitCode.Ok : LedUnavailable;
    }
}
