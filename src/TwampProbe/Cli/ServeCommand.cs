using System.Runtime.InteropServices;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Diagnostics;
using TwampProbe.Leds;
using TwampProbe.Linux.Scheduling;
using TwampProbe.Linux.Security;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Cli;

/// <summary><c>twampprobe serve</c>: the always-on Server + Session-Reflector (+ TWAMP Light).</summary>
public static class ServeCommand
{
    /// <param name="OverrideFlags">For each of <paramref name="Overrides"/>, the flag as typed ("--keyfile k.pfs"): errors name it.</param>
    public sealed record Options(string? ConfigPath, bool ConfigExplicit, List<string> Overrides, int? ReadyFd = null, List<string>? OverrideFlags = null);

    public const string DefaultKeyFile = "/etc/twampprobe/twampprobe.pfs";
    /// <summary><see cref="DefaultKeyFile"/>; tests point it elsewhere.</summary>
    internal static string DefaultKeyFilePath = DefaultKeyFile;

    /// <param name="command">The command whose options these are (check-config and led-test take serve's), for the messages.</param>
    public static Options ParseOptions(string[] args, string command = "serve")
    {
        var r = new ArgReader(args);
        string? config = null;
        var overrides = new List<string>();
        var flags = new List<string>();
        int? readyFd = null;
        while (r.Next(out var flag))
        {
            int before = overrides.Count;
            string? value = null;
            string Value(string f) => value = r.Value(f);
            switch (flag)
            {
                case "-h" or "--help": throw new HelpRequestedException();
                case "-c" or "--config": config = r.Value(flag); break;
                case "--listen": overrides.Add($"listen {Value(flag)}"); break;
                case "--owamp-listen": overrides.Add($"owamp-listen {Value(flag)}"); break;
                case "--no-owamp": r.NoValue(flag); overrides.Add("owamp no"); break;
                case "--keyfile" or "-k": overrides.Add($"keyfile {Path.GetFullPath(Value(flag))}"); break;
                case "--modes" or "-m": overrides.Add($"modes {Value(flag)}"); break;
                case "--test-ports": overrides.Add($"test-ports {Value(flag)}"); break;
                case "--light-listen": overrides.Add($"light-listen {Value(flag)}"); break;
                case "--light-allow": overrides.Add($"light-allow {Value(flag)}"); break;
                case "--servwait": overrides.Add($"servwait {Value(flag)}"); break;
                case "--refwait": overrides.Add($"refwait {Value(flag)}"); break;
                case "--max-sessions": overrides.Add($"max-sessions {Value(flag)}"); break;
                case "--reflector-cpu": overrides.Add($"reflector-cpu {Value(flag)}"); break;
                case "--reflector-poll": overrides.Add($"reflector-poll {Value(flag)}"); break;
                case "--reflector-threads": overrides.Add($"reflector-threads {Value(flag)}"); break;
                case "--reflector-batch-us": overrides.Add($"reflector-batch-us {Value(flag)}"); break;
                case "--user": overrides.Add($"user {Value(flag)}"); break;
                case "--ready-fd":
                    string fd = r.Value(flag);
                    readyFd = int.TryParse(fd, out int n) && n >= 0 ? n : throw new UsageException($"{command}: --ready-fd '{fd}': expected a descriptor number");
                    break;
                case "-v" or "--debug": r.NoValue(flag); overrides.Add("log-level debug"); break;
                case "-q" or "--quiet": r.NoValue(flag); overrides.Add("log-level warn"); break;
                default: throw new UsageException($"{command}: unknown option {flag}");
            }
            if (overrides.Count > before) flags.Add(value is null ? flag : $"{flag} {value}");
        }
        if (r.Positional.Count > 0) throw new UsageException($"{command}: unexpected argument '{r.Positional[0]}'");
        bool explicitPath = config is not null;
        config ??= File.Exists(ConfigFile.DefaultPath) ? ConfigFile.DefaultPath : null;
        return new Options(config, explicitPath, overrides, readyFd, flags);
    }

    /// <summary>Reads config + key file: the daemon refuses to start on any error (file:line in the message).</summary>
    public static (ServerSettings Server, AppSettings App) Load(Options o, KeyFile? fallbackKeys = null)
    {
        var (server, app) = o.ConfigPath is null
            ? ConfigFile.Parse("", "(defaults)", o.Overrides, o.OverrideFlags)
            : ConfigFile.Load(o.ConfigPath, o.Overrides, o.OverrideFlags);
        // Built-in default: the appliance's key file, when there is one (also with -c FILE: dropping it
        // onto a probe enables the secure modes; 'keyfile none' opts out).
        if (server.KeyFilePath is null && !server.NoKeyFile && File.Exists(DefaultKeyFilePath))
            server = server with { KeyFilePath = DefaultKeyFilePath, KeyFileOrigin = $"built-in default {DefaultKeyFilePath}" };
        if (server.KeyFilePath is { } keyPath)
        {
            try { server = server with { Keys = KeyFiles.Load(keyPath, requirePrivate: true) }; }
            catch (ConfigException e) when (fallbackKeys is not null && File.Exists(keyPath))
            {
                // After dropping root the key file may be unreadable: keep the keys already loaded.
                Log.Warn($"reload: key file not re-read ({e.Message}); keeping the loaded keys");
                server = server with { Keys = fallbackKeys };
            }
            catch (ConfigException e) when (server.KeyFileOrigin is { } origin)
            {
                // A file line names its directive; a flag ("--keyfile PATH") already says what it is.
                throw new ConfigException(!origin.StartsWith('-') ? $"{origin}: keyfile: {e.Message}"
                    : e.Message.StartsWith(keyPath + ": ", StringComparison.Ordinal) ? $"{origin}: {e.Message[(keyPath.Length + 2)..]}"
                    : $"{origin}: {e.Message}");
            }
        }
        // A user that does not exist is a configuration error, found before any socket is bound
        // (and by check-config), not after.
        if (app.User is { } user && Privileges.FindUser(user) is null)
            throw new ConfigException($"{Prefix(app.UserOrigin, "user")}'{user}' does not exist (add it, e.g. 'adduser -S -H {user}', or remove the 'user' line)");
        if ((server.Modes ?? TwampModes.None).HasSecureControl() && server.Keys.Count == 0)
            throw new ConfigException($"{Prefix(server.ModesOrigin, "modes")}{SecureModes(server.Modes!.Value)} need{(SecureModes(server.Modes!.Value).Contains(',') ? "" : "s")} key identities, but " +
                (server.NoKeyFile ? $"{server.KeyFileOrigin} says 'keyfile none'"
                 : server.KeyFilePath is { } kf ? $"the key file {kf} ({server.KeyFileOrigin}) has none"
                 : "no keyfile is configured") +
                ": add 'keyfile PATH' (pfs format: identity hex-passphrase per line) or offer 'modes unauth'");
        return (server, app);
    }

    /// <summary>"file:line: directive: " of a directive's origin, or "--flag VALUE: " when it came from a serve flag.</summary>
    static string Prefix(string? origin, string directive) =>
        origin is null ? $"{directive}: " : origin.StartsWith('-') ? $"{origin}: " : $"{origin}: {directive}: ";

    static string SecureModes(TwampModes modes) =>
        string.Join(",", new[] { TwampModes.Authenticated, TwampModes.Encrypted, TwampModes.Mixed }.Where(m => (modes & m) != 0).Select(m => m.Name()));

    public static int Run(string[] args)
    {
        var options = ParseOptions(args);
        Program.RequireCrypto();
        ServerSettings server;
        AppSettings app;
        try { (server, app) = Load(options); }
        catch (ConfigException e) when (e.ResolverFailed)
        {
            // Not the operator's mistake (a name that does not exist is one, exit 3): the resolver is not
            // answering yet. Exit 5, which the unit's Restart=on-failure retries.
            Log.Error($"configuration: {e.Message}");
            Log.Error("not starting until the name can be looked up (exit 5: an init system restarts serve)");
            return ExitCode.Network;
        }
        catch (ConfigException e)
        {
            Log.Error($"configuration: {e.Message}");
            Log.Error("not starting (check with: twampprobe check-config)");
            return ExitCode.Config;
        }
        Log.Level = app.LogLevel;
        Readiness readiness;
        try { readiness = Readiness.Create(options.ReadyFd, Environment.GetEnvironmentVariable("NOTIFY_SOCKET"), Log.Warn); }
        catch (ArgumentException e)
        {
            Log.Error($"serve: {e.Message}");
            return ExitCode.Usage;
        }
        using var _ = readiness;
        RaiseDescriptorLimit();
        using var syslog = new SyslogSink();
        SyslogSinkInstance = syslog.Write;
        if (app.Syslog) Log.Sink = syslog.Write;
        using var stop = new ManualResetEventSlim();
        using var hup = new SemaphoreSlim(0);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        Signals.ReclaimHangup(); // inherited SIG_IGN (nohup) would make reload a silent no-op
        using var hupReg = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; hup.Release(); });

        using var status = new ProbeStatus(app.Leds);
        using var clock = new ClockState(TimeSpan.FromSeconds(5));
        // Started before anything else that may need a capability after the drop from root.
        using var privileged = new PrivilegedThread();
        using var engine = new ReflectorPool(clock, ReflectorOptionsFor(server, privileged), server.ReflectorThreads);
        var ctx = new ServerContext(server, engine, clock);
        var twamp = new TwampServer(ctx);
        try
        {
            twamp.Start();
        }
        catch (StartupException e)
        {
            Log.Error(e.Message);
            status.FailAndLeaveLit();
            return ExitCode.Network;
        }
        status.Watch(ctx);
        // Before the drop: mlockall needs CAP_IPC_LOCK (or a large enough RLIMIT_MEMLOCK), which is not kept.
        if (server.LockMemory)
        {
            try
            {
                if (ThreadTuning.LockMemory(dropsPrivileges: app.User is not null && Privileges.IsRoot) is { } partial)
                    Log.Warn($"mlock: {partial}");
            }
            catch (Exception e) { Log.Warn($"mlock: {e.Message}"); }
        }
        if (app.User is { } user && !DropPrivileges(user, privileged))
        {
            status.FailAndLeaveLit();
            return ExitCode.Config;
        }
        Log.Info($"ready: TWAMP-Control on {string.Join(", ", twamp.ListenEndPoints.Select(e => $"TCP {e}"))}, modes {Modes(server.OfferedModes)}, " +
                 $"test ports {server.TestPortLow}-{server.TestPortHigh}" +
                 (twamp.WellKnownTestEndPoints.Count > 0 ? $" + UDP {string.Join(", ", twamp.WellKnownTestEndPoints)}" : "") +
                 (twamp.LightEndPoint is { } l ? $", TWAMP Light on UDP {l}" : "") +
                 (twamp.OwampListenEndPoints.Count > 0 ? $", OWAMP-Control on {string.Join(", ", twamp.OwampListenEndPoints.Select(e => $"TCP {e}"))}" : "") +
                 $", clock {(clock.Synchronized ? "synchronized" : "UNSYNCHRONIZED (S bit 0)")}");
        readiness.Ready();

        var reloader = new Thread(() =>
        {
            while (true)
            {
                hup.Wait();
                if (stop.IsSet) return;
                Reload(options, twamp, ref app, status);
            }
        }) { IsBackground = true, Name = "reload" };
        reloader.Start();

        stop.Wait();
        readiness.Stopping();
        Log.Info("stopping: closing control connections and sessions");
        twamp.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(1));
        Log.Info($"stopped: {engine.Reflected} packets reflected, {engine.DroppedTotal} dropped");
        return ExitCode.Ok;
    }

    static void Reload(Options options, TwampServer twamp, ref AppSettings app, ProbeStatus status)
    {
        try
        {
            var (fresh, freshApp) = Load(options, twamp.Context.Settings.Keys);
            var current = twamp.Context.Settings;
            var ignored = StaticChanges(current, app, fresh, freshApp);
            twamp.Reload(current with { Limits = fresh.Limits, Keys = fresh.Keys });
            Log.Level = freshApp.LogLevel;
            app = app with { LogLevel = freshApp.LogLevel, Syslog = freshApp.Syslog, Leds = freshApp.Leds };
            Log.Sink = freshApp.Syslog ? SyslogSinkInstance : null;
            status.Configure(freshApp.Leds);
            if (ignored.Count == 0) Log.Info("reloaded configuration");
            else Log.Warn($"reloaded configuration; not applied until a restart (static settings): {string.Join(", ", ignored)}");
        }
        catch (ConfigException e)
        {
            Log.Error($"reload failed, keeping the running configuration: {e.Message}");
        }
    }

    static Action<LogLevel, string>? SyslogSinkInstance;

    /// <summary>
    /// Every session socket is a descriptor (and every control connection): the soft limit goes up
    /// to the hard limit the administrator or init system allows. <see cref="Descriptors.Limit"/>
    /// then tells what the process may hold.
    /// </summary>
    static void RaiseDescriptorLimit()
    {
        try
        {
            var (before, after) = Descriptors.RaiseToHardLimit();
            Log.Info(before == after ? $"descriptors: limit {after} (the hard limit)" : $"descriptors: limit {after} (soft limit raised from {before} to the hard limit)");
        }
        catch (InvalidOperationException e)
        {
            Log.Warn($"descriptors: limit {Descriptors.Limit}, not raised: {e.Message}");
        }
    }

    /// <summary>
    /// After the sockets are bound: run as <paramref name="user"/>. The drop happens on the
    /// privileged thread, the only one that keeps the capabilities the data path needs (binding
    /// UDP ports below 1024 for sessions, SO_RCVBUFFORCE, hardware timestamps, SCHED_FIFO); every
    /// other thread is left with none, and asks that thread for those operations.
    /// </summary>
    static bool DropPrivileges(string user, PrivilegedThread privileged)
    {
        if (!Privileges.IsRoot)
        {
            Log.Info($"user {user}: not started as root, running as the current user");
            return true;
        }
        var account = Privileges.FindUser(user);
        if (account is null)
        {
            Log.Error($"configuration: user '{user}' does not exist (add it, e.g. 'adduser -S -H {user}', or remove the 'user' line)");
            return false;
        }
        try
        {
            privileged.DropTo(account, Capability.NetBindService | Capability.NetAdmin | Capability.SysNice);
            Log.Info($"running as {account.Name} (uid {account.Uid}); CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_SYS_NICE kept by the privileged thread (tid {privileged.ThreadId}) only");
            return true;
        }
        catch (InvalidOperationException e)
        {
            Log.Error($"cannot drop privileges to '{user}': {e.Message}");
            return false;
        }
    }

    /// <summary>What the configuration says of the reflector threads.</summary>
    internal static ReflectorOptions ReflectorOptionsFor(ServerSettings server, PrivilegedThread? privileged) => new()
    {
        HardwareInterface = server.Interface,
        SocketBufferBytes = server.SocketBufferBytes,
        Cpu = server.ReflectorCpu,
        FifoPriority = server.FifoPriority,
        Privileged = privileged,
        Poll = server.ReflectorPoll,
        T3BatchBoundNs = server.ReflectorBatchBoundNs,
    };

    /// <summary>The static directives (README "Configuration file") whose value a reload found changed: the
    /// running server keeps the old ones, and the log says which need a restart.</summary>
    internal static List<string> StaticChanges(ServerSettings a, AppSettings aApp, ServerSettings b, AppSettings bApp)
    {
        var changed = new List<string>();
        if (!a.Listen.SequenceEqual(b.Listen)) changed.Add("listen");
        if (a.Owamp != b.Owamp) changed.Add("owamp");
        if (!a.OwampListen.SequenceEqual(b.OwampListen)) changed.Add("owamp-listen");
        if (a.Modes != b.Modes) changed.Add("modes");
        if (a.TestPortLow != b.TestPortLow || a.TestPortHigh != b.TestPortHigh) changed.Add("test-ports");
        if (!Equals(a.LightListen, b.LightListen)) changed.Add("light-listen");
        if (a.Interface != b.Interface) changed.Add("interface");
        if (a.Count != b.Count) changed.Add("count");
        if (a.ReflectorPoll != b.ReflectorPoll) changed.Add("reflector-poll");
        if (a.ReflectorThreads != b.ReflectorThreads) changed.Add("reflector-threads");
        if (a.ReflectorBatchBoundNs != b.ReflectorBatchBoundNs) changed.Add("reflector-batch-us");
        if (a.ReflectorCpu != b.ReflectorCpu) changed.Add("reflector-cpu");
        if (a.FifoPriority != b.FifoPriority) changed.Add("sched-fifo");
        if (a.LockMemory != b.LockMemory) changed.Add("mlock");
        if (a.SocketBufferBytes != b.SocketBufferBytes) changed.Add("socket-buffer");
        if (aApp.User != bApp.User) changed.Add("user");
        return changed;
    }

    static string Modes(TwampModes m) =>
        string.Join(",", new[] { TwampModes.Unauthenticated, TwampModes.Authenticated, TwampModes.Encrypted, TwampModes.Mixed }
            .Where(x => (m & x) != 0).Select(x => x.Name()));
}
