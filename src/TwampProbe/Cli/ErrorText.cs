using System.Net.Sockets;
using TwampProbe.Control;

namespace TwampProbe.Cli;

/// <summary>
/// Plain-language messages for the exceptions that reach the command line. The Native-AOT build strips
/// the BCL's resource strings (UseSystemResourceKeys), so <c>Exception.Message</c> of an IOException or
/// UnauthorizedAccessException is a key such as <c>net_io_readfailure</c> or
/// <c>UnauthorizedAccess_IODenied_Path</c>: never show it, say what happened instead.
/// </summary>
public static class ErrorText
{
    public static string Describe(Exception e) => e switch
    {
        ControlConnectionClosedException => "the server closed the connection",
        EndOfStreamException => "the server closed the connection",
        SocketException s => Describe(s.SocketErrorCode, s),
        IOException { InnerException: SocketException s } => Describe(s.SocketErrorCode, s),
        IOException { InnerException: { } inner } and not FileNotFoundException and not DirectoryNotFoundException => Describe(inner),
        FileNotFoundException f => f.FileName is { } n ? $"no such file: {n}" : "file not found",
        DirectoryNotFoundException => "no such directory",
        UnauthorizedAccessException => "permission denied",
        ObjectDisposedException => "the connection was closed",
        TimeoutException => "timed out",
        AggregateException { InnerException: { } inner } => Describe(inner),
        _ when LooksLikeResourceKey(e.Message) => e.GetType().Name,
        _ => e.Message,
    };

    /// <summary>Same, naming the file the operation was about (FileNotFound, permission, directory errors).</summary>
    public static string Describe(Exception e, string path) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => $"no such file: {path}",
        UnauthorizedAccessException => Directory.Exists(path) ? $"is a directory, not a file: {path}" : $"permission denied: {path}",
        IOException when Directory.Exists(path) => $"is a directory, not a file: {path}",
        _ => $"{Describe(e)}: {path}",
    };

    static string Describe(SocketError code, SocketException s) => code switch
    {
        SocketError.ConnectionReset => "connection reset by the server",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.ConnectionRefused => "connection refused",
        SocketError.TimedOut => "timed out",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.NetworkDown => "network down",
        SocketError.Shutdown or SocketError.NotConnected => "the connection was closed",
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AddressNotAvailable => "address not available on this host",
        SocketError.AccessDenied => "permission denied",
        SocketError.HostNotFound or SocketError.NoData => "host name not found",
        SocketError.TryAgain => "host name lookup failed temporarily",
        SocketError.AddressFamilyNotSupported => "address family not supported",
        _ => LooksLikeResourceKey(s.Message) ? $"socket error {s.SocketErrorCode}" : s.Message,
    };

    /// <summary>A stripped resource string: one word of letters, digits and underscores with at least one underscore.</summary>
    internal static bool LooksLikeResourceKey(string message) =>
        message.Length > 0 && message.Contains('_') && message.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
