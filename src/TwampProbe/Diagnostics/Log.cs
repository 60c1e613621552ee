namespace TwampProbe.Diagnostics;

public enum LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 }

/// <summary>
/// Line-oriented logging to stderr (the init system captures it), optionally syslog. One line per
/// event; nothing per packet above Debug. Thread-safe.
/// </summary>
public static class Log
{
    static readonly object Gate = new();
    public static LogLevel Level { get; set; } = LogLevel.Info;
    public static bool Timestamps { get; set; } = true;
    public static TextWriter Writer { get; set; } = Console.Error;
    /// <summary>Extra sink (syslog), called with level and message.</summary>
    public static Action<LogLevel, string>? Sink { get; set; }

    public static bool IsEnabled(LogLevel level) => level >= Level;

    public static void Debug(string message) => Write(LogLevel.Debug, message);
    public static void Info(string message) => Write(LogLevel.Info, message);
    public static void Warn(string message) => Write(LogLevel.Warn, message);
    public static void Error(string message) => Write(LogLevel.Error, message);

    public static void Write(LogLevel level, string message)
    {
        if (level < Level) return;
        var tag = level switch { LogLevel.Debug => "debug", LogLevel.Info => "info", LogLevel.Warn => "warn", _ => "error" };
        lock (Gate)
        {
            if (Timestamps) Writer.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} twampprobe[{tag}]: {message}");
            else Writer.WriteLine($"twampprobe[{tag}]: {message}");
            Writer.Flush();
        }
        Sink?.Invoke(level, message);
    }
}
