namespace TwampProbe.Config;

/// <summary>A configuration error; the message names file:line, the directive and what is accepted.</summary>
public sealed class ConfigException(string message) : Exception(message)
{
    public static ConfigException At(string file, int line, string directive, string problem) =>
        new($"{file}:{line}: {directive}: {problem}");
}
