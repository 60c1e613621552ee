using System.Globalization;
using System.Text;

namespace TwampProbe.Diagnostics;

public enum LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 }

/// <summary>
/// Line-oriented logging to stderr (the init system captures it), optionally syslog. One line per
/// event; nothing per packet above Debug. Thread-safe. Text that a peer controls (a KeyID, anything
/// read off the wire) goes through <see cref="Sanitize"/> first; as a backstop <see cref="Write"/>
/// escapes any control character left in a message, so no message can start a second line.
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

    /// <summary>Longest peer text <see cref="Sanitize"/> keeps by default (a KeyID is at most 80 octets).</summary>
    public const int PeerTextLimit = 80;

    /// <summary>
    /// Peer-controlled text made safe for one log line: control characters (C0, DEL, C1), format
    /// characters (bidi overrides, zero-width), line/paragraph separators and lone surrogates become
    /// <c>\xNN</c> / <c>\u{NNNN}</c>, a backslash becomes <c>\\</c> (so escapes are unambiguous),
    /// and more than <paramref name="maxLength"/> characters are cut with a trailing "...".
    /// Printable non-ASCII text (an identity in another script) is kept.
    /// </summary>
    public static string Sanitize(string? text, int maxLength = PeerTextLimit)
    {
        if (string.IsNullOrEmpty(text)) return "";
        bool cut = text.Length > maxLength;
        var span = cut ? text.AsSpan(0, maxLength) : text.AsSpan();
        if (!cut && !NeedsEscape(span)) return text;
        var sb = new StringBuilder(span.Length + 8);
        for (int i = 0; i < span.Length; i++)
        {
            char c = span[i];
            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                sb.Append(c).Append(span[++i]);
                continue;
            }
            if (c == '\\') sb.Append(@"\\");
            else if (IsUnsafe(c)) Escape(sb, c);
            else sb.Append(c);
        }
        if (cut) sb.Append("...");
        return sb.ToString();
    }

    static bool NeedsEscape(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
            if (c == '\\' || IsUnsafe(c)) return true; // a surrogate pair goes the slow way; it is rare
        return false;
    }

    static bool IsUnsafe(char c) => c < 0x20 || c == 0x7f || c > 0x7e && CharUnicodeInfo.GetUnicodeCategory(c) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    static void Escape(StringBuilder sb, char c)
    {
        if (c <= 0xff) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
        else sb.Append(CultureInfo.InvariantCulture, $"\\u{{{(int)c:x4}}}");
    }

    static bool BreaksLine(char c) => c < 0x20 || c == 0x7f || c is >= '\u0080' and <= '\u009f' or '\u2028' or '\u2029';

    /// <summary>Backstop: a message never spans lines, whatever a caller forgot to sanitise.</summary>
    static string OneLine(string message)
    {
        if (!message.AsSpan().ContainsAny(LineBreaking)) return message;
        var sb = new StringBuilder(message.Length + 16);
        foreach (char c in message)
            if (BreaksLine(c)) Escape(sb, c);
            else sb.Append(c);
        return sb.ToString();
    }

    static readonly System.Buffers.SearchValues<char> LineBreaking =
        System.Buffers.SearchValues.Create(Enumerable.Range(0, 0x2030).Select(i => (char)i).Where(BreaksLine).ToArray());

    public static void Write(LogLevel level, string message)
    {
        if (level < Level) return;
        message = OneLine(message);
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
