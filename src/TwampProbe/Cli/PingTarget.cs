using System.Net;
using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Control;

namespace TwampProbe.Cli;

/// <summary>HOST[:PORT] of <c>ping</c> to an endpoint, honouring -4/-6 for host names, and the -S checks that need it.</summary>
public static class PingTarget
{
    /// <summary>A name that does not exist is a usage error (exit 2); a resolver that fails is a network failure
    /// (<see cref="PingNetworkException"/>, exit 5).</summary>
    public static IPEndPoint Resolve(string text, int defaultPort, AddressFamily? family)
    {
        var literal = family is { } f ? Literal(text, f) : text;
        if (!EndpointText.TryParse(literal, defaultPort, out var endpoint, out var error, out var resolverFailure))
            throw resolverFailure is not null ? new PingNetworkException(error!, resolverFailure) : new UsageException(error!);
        if (family is { } want && Unmapped(endpoint.Address).AddressFamily != want)
            throw new UsageException($"'{text}' is {PingOptions.FamilyName(endpoint.AddressFamily)}, but {(want == AddressFamily.InterNetwork ? "-4" : "-6")} asks for {PingOptions.FamilyName(want)}");
        return endpoint;
    }

    /// <summary>-S must be of the target's family: an IPv4 source cannot reach an IPv6 target (and would only measure 100 % loss).</summary>
    public static void CheckSource(IPAddress? source, IPEndPoint target, string targetText)
    {
        if (source is null) return;
        var t = Unmapped(target.Address).AddressFamily;
        if (source.AddressFamily != t)
            throw new UsageException($"-S {source} is {PingOptions.FamilyName(source.AddressFamily)}, but {targetText} is {PingOptions.FamilyName(t)}: give a source address of the same family");
        if (!LocalAddressExists(source, target.Address))
            throw new UsageException($"-S {source} is not an address of this host");
    }

    static bool LocalAddressExists(IPAddress source, IPAddress target)
    {
        try
        {
            using var s = new Socket(source.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(LinkLocal.WithScope(source, target), 0));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable) { return false; }
        catch (SocketException) { return true; } // anything else shows later, with its own message
    }

    static IPAddress Unmapped(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    /// <summary>Replaces a host name by its first address of <paramref name="family"/>; literals stay as written.</summary>
    static string Literal(string text, AddressFamily family)
    {
        if (text.StartsWith('[') || text.Count(c => c == ':') > 1) return text; // an IPv6 literal
        int colon = text.IndexOf(':');
        var host = colon < 0 ? text : text[..colon];
        var port = colon < 0 ? "" : text[colon..];
        if (IPAddress.TryParse(host, out _)) return text;
        IPAddress[] found;
        try { found = Dns.GetHostAddresses(host, family); }
        catch (SocketException e) when (EndpointText.IsResolverFailure(e.SocketErrorCode))
        {
            throw new PingNetworkException(EndpointText.ResolverFailureText(host, e), e);
        }
        catch (SocketException e)
        {
            // The resolver says "not found" for a name that exists but has no address of this family
            // (an IPv4-only name with -6): ask once more for any family, to say which it is.
            if (OtherFamily(host, family) is { } other) throw NoAddressOf(host, family, other);
            throw new UsageException($"'{host}': {ErrorText.Describe(e)}");
        }
        var first = found.FirstOrDefault(a => a.AddressFamily == family) ?? throw NoAddressOf(host, family, OtherFamily(host, family));
        return family == AddressFamily.InterNetworkV6 ? $"[{first}]{port}" : $"{first}{port}";
    }

    static UsageException NoAddressOf(string host, AddressFamily family, IPAddress? other) =>
        new($"'{host}' has no {PingOptions.FamilyName(family)} address ({(family == AddressFamily.InterNetwork ? "-4" : "-6")})" +
            (other is null ? "" : $"; it has {PingOptions.FamilyName(other.AddressFamily)} address {other}"));

    /// <summary>The name's first address of another family than <paramref name="family"/>, or null.</summary>
    static IPAddress? OtherFamily(string host, AddressFamily family)
    {
        try { return Dns.GetHostAddresses(host).Select(Unmapped).FirstOrDefault(a => a.AddressFamily != family); }
        catch (SocketException) { return null; }
    }
}
