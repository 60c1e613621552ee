namespace TwampProbe.Cli;

public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// <c>-h</c>/<c>--help</c> read where a flag stands (not as another flag's value: <c>ping -S -h</c>
/// is a source address): the command prints its usage and exits 0. Thrown by the parsers so that
/// each knows which of its flags take values.
/// </summary>
public sealed class HelpRequestedException() : Exception("help requested");
