namespace TwampProbe.Cli;

/// <summary>A network failure of <c>ping</c> with its sentence ready (exit 5): the control connection lost mid-test, no free local port.</summary>
public sealed class PingNetworkException(string message, Exception? inner = null) : Exception(message, inner);
