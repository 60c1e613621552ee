namespace TwampProbe.Fuzz;

/// <summary>
/// One fuzz target: a function of the input bytes that returns normally for every input, valid or
/// not. Each target catches exactly the exceptions its API documents for bad input; anything else
/// that escapes (or a hang, reported as <see cref="TimeoutException"/>) is a finding.
/// </summary>
public sealed record FuzzTarget(string Name, string What, Action<byte[]> Run);

/// <summary>The targets, by the name used on the command line, in the corpus folders and by the replay tests.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("control", "control-message codecs (Protocol/Wire/Control): parse, write, parse again", ControlCodecTarget.Run),
        new("server", "ServerConnection fed the raw client byte stream (Set-Up-Response onwards)", ServerConnectionTarget.RunRaw),
        new("server-auth", "ServerConnection after a valid authenticated set-up; input = message bodies, sealed with HMAC", ServerConnectionTarget.RunAuthenticated),
        new("reflector", "ReflectorEngine per-packet path over loopback UDP (byte 0 picks the session)", ReflectorTarget.Run),
        new("config", "ConfigFile.Parse", ConfigFileTarget.Run),
        new("keyfile", "KeyFile.Parse", KeyFileTarget.Run),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>Silences the server's log lines (one per control connection), which would dominate a run.</summary>
    public static void Quiet() => Diagnostics.Log.Level = Diagnostics.LogLevel.Off;
}

/// <summary>A target's own check failed (e.g. write∘parse is not idempotent): always a finding.</summary>
public sealed class FuzzPropertyException(string message) : Exception(message);
