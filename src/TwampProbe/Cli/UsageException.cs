namespace TwampProbe.Cli;

public sealed class UsageException(string message) : Exception(message);
