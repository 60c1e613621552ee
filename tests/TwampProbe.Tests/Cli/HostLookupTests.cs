using System.Net.Sockets;
using TwampProbe.Cli;
using TwampProbe.Config;

namespace TwampProbe.Tests.Cli;

/// <summary>
/// ping/owping HOST: a name the resolver says does not exist is the operator's mistake (exit 2); a
/// resolver that does not answer is a network failure (exit 5, <see cref="PingNetworkException"/>).
/// </summary>
public sealed class HostLookupTests
{
    [Theory]
    [InlineData(SocketError.HostNotFound, false)] // EAI_NONAME: NXDOMAIN
    [InlineData(SocketError.NoData, false)]       // the name exists, without an address
    [InlineData(SocketError.TryAgain, true)]      // EAI_AGAIN: resolver unreachable or timed out
    [InlineData(SocketError.TimedOut, true)]
    [InlineData(SocketError.NoRecovery, true)]    // EAI_FAIL: SERVFAIL, REFUSED
    [InlineData(SocketError.SocketError, true)]   // anything else the lookup reports
    public void ResolverFailuresAreToldFromNamesThatDoNotExist(SocketError code, bool resolverFailure)
    {
        Assert.Equal(resolverFailure, EndpointText.IsResolverFailure(code));
    }

    [Fact]
    public void AResolverFailureSaysSoAndNamesTheHost()
    {
        var text = EndpointText.ResolverFailureText("reflector.example.net", new SocketException((int)SocketError.TryAgain));

        Assert.StartsWith("cannot resolve 'reflector.example.net': the DNS resolver did not answer", text);
        Assert.Contains("/etc/resolv.conf", text);
    }

    // RFC 6761 §6.4: names under .invalid never exist, and resolvers answer so at once.
    [Theory]
    [InlineData(null)]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void ANameThatDoesNotExistIsAUsageError(AddressFamily? family)
    {
        var e = Assert.Throws<UsageException>(() => PingTarget.Resolve("twampprobe-test.invalid:862", 862, family));

        Assert.Contains("'twampprobe-test.invalid'", e.Message);
        Assert.DoesNotContain("cannot resolve", e.Message);
    }
}
