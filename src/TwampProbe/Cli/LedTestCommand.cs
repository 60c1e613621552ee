using TwampProbe.Config;

namespace TwampProbe.Cli;

/// <summary><c>twampprobe led-test</c>: cycles every configured LED.</summary>
public static class LedTestCommand
{
    public static int Run(string[] args)
    {
        var options = ServeCommand.ParseOptions(args);
        try
        {
            var (_, app) = ServeCommand.Load(options);
            if (app.Leds.Count == 0)
            {
                Console.Out.WriteLine("no LEDs configured (add 'led ROLE gpio CHIP LINE' or 'led ROLE sysfs NAME')");
                return ExitCode.Ok;
            }
            Console.Error.WriteLine("led-test: LED drivers are not built yet");
            return ExitCode.Internal;
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"twampprobe: {e.Message}");
            return ExitCode.Config;
        }
    }
}
