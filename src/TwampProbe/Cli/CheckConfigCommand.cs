using TwampProbe.Config;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Cli;

/// <summary><c>twampprobe check-config [-c FILE]</c>: validates without starting anything.</summary>
public static class CheckConfigCommand
{
    public static int Run(string[] args)
    {
        var options = ServeCommand.ParseOptions(args);
        if (options.ConfigPath is null)
        {
            Console.Out.WriteLine($"no configuration file ({ConfigFile.DefaultPath} does not exist): built-in defaults apply");
        }
        try
        {
            var (server, app) = ServeCommand.Load(options);
            Console.Out.WriteLine($"{options.ConfigPath ?? "defaults"}: OK");
            Console.Out.WriteLine($"  listen       {string.Join(" ", server.Listen)}");
            var modes = new[] { TwampModes.Unauthenticated, TwampModes.Authenticated, TwampModes.Encrypted, TwampModes.Mixed }
                .Where(m => (server.OfferedModes & m) != 0).Select(m => m.Name());
            Console.Out.WriteLine($"  modes        {string.Join(",", modes)}{(server.OfferedModes.HasDscpEcnMonitoring() ? " + DSCP/ECN monitoring (RFC 7750)" : "")} ({server.Keys.Count} key identities)");
            Console.Out.WriteLine($"  test-ports   {server.TestPortLow}-{server.TestPortHigh}");
            Console.Out.WriteLine($"  light        {(server.LightListen?.ToString() ?? "off")}");
            Console.Out.WriteLine($"  servwait     {server.Limits.ServWait.TotalSeconds} s, refwait {server.Limits.RefWait.TotalSeconds} s");
            Console.Out.WriteLine($"  max-sessions {server.Limits.MaxSessions}, per connection {server.Limits.MaxSessionsPerConnection}");
            Console.Out.WriteLine($"  leds         {(app.Leds.Count == 0 ? "none" : string.Join(", ", app.Leds.Select(l => $"{l.Role}={l.Backend}:{l.Target}")))}");
            return ExitCode.Ok;
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"twampprobe: {e.Message}");
            return ExitCode.Config;
        }
    }
}
