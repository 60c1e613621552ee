using TwampProbe.Cli;

namespace TwampProbe.Tests.Cli;

/// <summary>The hint at the other protocol (RFC 8545 ports) names the well-known port when the target used it.</summary>
public sealed class OtherProtocolHintTests
{
    [Theory]
    [InlineData("TWAMP", 861, "is this an OWAMP server? TCP 861 is OWAMP-Control's well-known port; TWAMP-Control's is TCP 862 (RFC 8545)")]
    [InlineData("TWAMP", 18610, "is this an OWAMP server? TWAMP-Control's is TCP 862 (RFC 8545)")]
    [InlineData("OWAMP", 862, "is this a TWAMP server? TCP 862 is TWAMP-Control's well-known port; OWAMP-Control's is TCP 861 (RFC 8545)")]
    [InlineData("OWAMP", 18620, "is this a TWAMP server? OWAMP-Control's is TCP 861 (RFC 8545)")]
    public void TheHintNamesTheOtherProtocolsPort(string protocol, int port, string expected)
    {
        Assert.EndsWith(expected, ClientCommand.OtherProtocolHint(protocol, port));
    }
}
