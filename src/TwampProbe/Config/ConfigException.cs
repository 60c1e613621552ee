namespace TwampProbe.Config;

/// <summary>A configuration error; the message names file:line, the directive and what is accepted.</summary>
public sealed class ConfigException(string message) : Exception(message)
{
    /// <summary>
    /// The configuration may be right: a host name in it could not be looked up because the resolver
    /// failed (no answer, a temporary failure), as at boot before the network is up. serve exits 5, which
    /// its unit restarts, rather than 3, which stops it for good.
    /// </summary>
    public bool ResolverFailed { get; init; }

    public static ConfigException At(string file, int line, string directive, string problem) =>
        new($"{file}:{line}: {directive}: {problem}");

    /// <summary><paramref name="e"/> marked as a resolver failure when <paramref name="resolverFailure"/> is set.</summary>
    public static ConfigException Resolving(ConfigException e, System.Net.Sockets.SocketException? resolverFailure) =>
        resolverFailure is null ? e : new ConfigException(e.Message) { ResolverFailed = true };
}
