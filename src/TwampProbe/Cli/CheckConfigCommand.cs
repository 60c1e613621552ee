using TwampProbe.Config;
using TwampProbe.Owamp.Server;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Cli;

/// <summary><c>twampprobe check-config [-c FILE]</c>: validates without starting anything.</summary>
public static class CheckConfigCommand
{
    public static int Run(string[] args)
    {
        var options = ServeCommand.ParseOptions(args, "check-config");
        if (options.ConfigPath is null)
        {
            Console.Out.WriteLine($"no configuration file ({ConfigFile.DefaultPath} does not exist): built-in defaults apply");
        }
        try
        {
            var (server, app) = ServeCommand.Load(options);
            Console.Out.WriteLine($"{options.ConfigPath ?? "defaults"}: OK");
            foreach (var line in Describe(server, app)) Console.Out.WriteLine(line);
            return ExitCode.Ok;
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"twampprobe: {e.Message}");
            return ExitCode.Config;
        }
    }

    /// <summary>What serve would do with the settings: the listeners of both protocols, the modes, the limits.</summary>
    public static IEnumerable<string> Describe(ServerSettings server, AppSettings app)
    {
        var limits = server.Limits;
        yield return $"  listen       {string.Join(" ", server.Listen)}";
        yield return $"  owamp        {OwampListeners(server)}";
        var modes = new[] { TwampModes.Unauthenticated, TwampModes.Authenticated, TwampModes.Encrypted, TwampModes.Mixed }
            .Where(m => (server.OfferedModes & m) != 0).Select(m => m.Name());
        yield return $"  modes        {string.Join(",", modes)}{(server.OfferedModes.HasDscpEcnMonitoring() ? " + DSCP/ECN monitoring (RFC 7750)" : "")} ({server.Keys.Count} key identities)";
        yield return $"  test-ports   {server.TestPortLow}-{server.TestPortHigh}";
        yield return $"  light        {(server.LightListen?.ToString() ?? "off")}";
        yield return $"  servwait     {limits.ServWait.TotalSeconds} s, refwait {limits.RefWait.TotalSeconds} s";
        yield return $"  max-sessions {limits.MaxSessions}, per connection {limits.MaxSessionsPerConnection}";
        yield return $"  reflector    {server.ReflectorThreads} thread{(server.ReflectorThreads == 1 ? "" : "s")}" +
                     $"{(server.ReflectorCpu is int cpu ? $" from CPU {cpu}" : "")}, poll {(server.ReflectorPoll == Sessions.ReflectorPollMode.Busy ? "busy" : "epoll")}" +
                     $"{(server.FifoPriority is int prio ? $", SCHED_FIFO {prio}" : "")}, batch bound {server.ReflectorBatchBoundNs / 1000} µs";
        if (server.Owamp)
        {
            yield return $"  owamp-limits records {limits.OwampMaxRecords} (per client prefix {OwampResults.PrefixShare(limits)}, per session {limits.OwampMaxRecordsPerSession}), " +
                         $"bandwidth {(limits.OwampMaxBandwidth == 0 ? "unlimited" : $"{limits.OwampMaxBandwidth} bit/s")}, keep results {limits.OwampKeepResults.TotalSeconds} s" +
                         (limits.OwampDeleteOnFetch ? ", deleted on fetch" : "");
        }
        yield return $"  leds         {(app.Leds.Count == 0 ? "none" : string.Join(", ", app.Leds.Select(l => $"{l.Role}={l.Backend}:{l.Target}")))}";
    }

    /// <summary>The OWAMP-Control listeners: the configured ones, or the default port 861 beside each TWAMP listener.</summary>
    static string OwampListeners(ServerSettings server)
    {
        var endPoints = server.OwampEndPoints;
        if (endPoints.Count == 0) return "off";
        var list = string.Join(" ", endPoints.Select(e => e.EndPoint.ToString()));
        // Without owamp-listen, serve goes on with TWAMP only when such a port cannot be had (README, OWAMP server).
        return endPoints.All(e => e.Configured) ? list : $"{list} (default; TWAMP only if a port cannot be had)";
    }
}
