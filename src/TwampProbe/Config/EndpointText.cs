using System.Net;
using System.Net.Sockets;

namespace TwampProbe.Config;

/// <summary>
/// Parses "ADDR", "ADDR:PORT", "[V6]:PORT", "HOST[:PORT]" as network engineers write them; an IPv6
/// link-local address takes its zone as "fe80::1%eth0" (interface name or index).
/// </summary>
public static class EndpointText
{
    public static bool TryParse(string text, int defaultPort, out IPEndPoint endpoint, out string? error) =>
        TryParse(text, defaultPort, out endpoint, out error, out _);

    /// <param name="resolverFailure">Set when a host name could not be looked up because the resolver failed
    /// (no answer, temporary failure), as opposed to the name not existing: a network problem, not a typo.</param>
    public static bool TryParse(string text, int defaultPort, out IPEndPoint endpoint, out string? error, out SocketException? resolverFailure)
    {
        endpoint = null!;
        error = null;
        resolverFailure = null;
        string host = text;
        int port = defaultPort;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0) { error = $"'{text}': missing ']'"; return false; }
            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !TryPort(rest[1..], out port))) { error = $"'{text}': bad port"; return false; }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':');
            host = text[..colon];
            if (!TryPort(text[(colon + 1)..], out port)) { error = $"'{text}': port must be 1..65535"; return false; }
        }
        if (!IPAddress.TryParse(host, out var address))
        {
            try
            {
                var found = Dns.GetHostAddresses(host);
                address = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault();
            }
            catch (SocketException e) when (IsResolverFailure(e.SocketErrorCode))
            {
                resolverFailure = e;
                error = ResolverFailureText(host, e);
                return false;
            }
            catch (SocketException) { address = null; }
            catch (ArgumentException) { address = null; } // not a host name at all (too long, bad characters)
            if (address is null) { error = $"'{host}' is not an address or a resolvable host name"; return false; }
        }
        // RFC 4007 §6: a link-local address is ambiguous without its zone ("fe80::1%eth0").
        if (address.IsIPv6LinkLocal && address.ScopeId == 0)
        {
            int percent = host.IndexOf('%');
            error = percent >= 0
                ? $"'{text}': no interface '{host[(percent + 1)..]}' here"
                : $"'{text}': a link-local address needs its interface, e.g. {(text.StartsWith('[') ? $"[{host}%eth0]" : $"{host}%eth0")}";
            return false;
        }
        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>
    /// Whether a failed host name lookup means the resolver failed (no answer, a temporary or a server
    /// failure: a network problem) rather than the name not existing (NXDOMAIN, or no address record).
    /// </summary>
    public static bool IsResolverFailure(SocketError code) => code is not (SocketError.HostNotFound or SocketError.NoData);

    public static string ResolverFailureText(string host, SocketException e) =>
        $"cannot resolve '{host}': " + (e.SocketErrorCode switch
        {
            SocketError.TryAgain => "the DNS resolver did not answer or failed temporarily",
            SocketError.TimedOut => "the DNS lookup timed out",
            SocketError.NoRecovery => "the DNS server failed (SERVFAIL or refused)",
            _ => $"the host name lookup failed ({e.SocketErrorCode})",
        }) + " — check the resolver (/etc/resolv.conf) and the path to it, or give an address";

    static bool TryPort(string s, out int port) => int.TryParse(s, out port) && port is > 0 and <= 65535;
    /// <summary>
    /// "a.b.c.d:port" or "[v6]:port" as they are written on the command line; an IPv6 zone prints as its
    /// interface name ("[fe80::1%eth0]:862", the form <see cref="TryParse(string, int, out IPEndPoint, out string?)"/>
    /// reads back), its index only when no interface has it any more.
    /// </summary>
    public static string Format(IPEndPoint ep) =>
        ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Format(ep.Address)}]:{ep.Port}" : ep.ToString();

    /// <summary>The address, with an IPv6 zone as its interface name (see <see cref="Format(IPEndPoint)"/>).</summary>
    public static string Format(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || address.ScopeId == 0) return address.ToString();
        string bare = new IPAddress(address.GetAddressBytes()).ToString();
        return $"{bare}%{InterfaceName((int)address.ScopeId) ?? address.ScopeId.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>The name of the interface with this index, from /sys/class/net/*/ifindex; null if none has it.</summary>
    public static string? InterfaceName(int index, string sysClassNet = "/sys/class/net")
    {
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(sysClassNet))
            {
                try
                {
                    if (int.TryParse(File.ReadAllText(Path.Combine(dir, "ifindex")).Trim(), out int i) && i == index) return Path.GetFileName(dir);
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
