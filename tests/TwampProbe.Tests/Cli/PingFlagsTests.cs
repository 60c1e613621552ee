using System.Net.Sockets;
using TwampProbe.Cli;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Tests.Cli;

/// <summary>The twping habits of ping's command line and the local mistakes it catches before connecting.</summary>
public sealed class PingFlagsTests
{
    [Theory]
    [InlineData("0.1", 0.1, false)]
    [InlineData("0.1f", 0.1, false)]
    [InlineData("0.1e", 0.1, true)]
    [InlineData("2E", 2.0, true)]
    public void IntervalSuffixChoosesFixedOrExponential(string value, double seconds, bool exponential)
    {
        var o = PingOptions.Parse(["-i", value, "host"]);
        Assert.Equal(seconds, o.IntervalSeconds);
        Assert.Equal(exponential, o.ExponentialInterval);
    }

    [Theory]
    [InlineData("0e")]
    [InlineData("0.1x")]
    [InlineData("e")]
    [InlineData("-1")]
    [InlineData("1e3")]
    public void BadIntervalsAreUsageErrors(string value) =>
        Assert.Throws<UsageException>(() => PingOptions.Parse(["-i", value, "host"]));

    [Theory]
    [InlineData("EF", 46)]
    [InlineData("ef", 46)]
    [InlineData("AF11", 10)]
    [InlineData("AF41", 34)]
    [InlineData("AF43", 38)]
    [InlineData("CS0", 0)]
    [InlineData("CS5", 40)]
    [InlineData("CS7", 56)]
    [InlineData("BE", 0)]
    [InlineData("DF", 0)]
    [InlineData("LE", 1)]
    [InlineData("VA", 44)]
    [InlineData("46", 46)]
    [InlineData("0x2e", 46)]
    [InlineData("63", 63)]
    public void DscpNamesFollowTheRfcs(string name, int value) =>
        Assert.Equal(value, PingOptions.Parse(["-D", name, "host"]).Dscp);

    [Theory]
    [InlineData("64")]
    [InlineData("AF44")]
    [InlineData("AF51")]
    [InlineData("CS8")]
    [InlineData("XX")]
    [InlineData("-1")]
    public void UnknownDscpIsAUsageErrorListingTheNames(string name)
    {
        var e = Assert.Throws<UsageException>(() => PingOptions.Parse(["-D", name, "host"]));
        Assert.Contains("AF11..AF43", e.Message);
    }

    [Fact]
    public void PortRangeIsTheLocalTestPortRangeAsInTwping()
    {
        var o = PingOptions.Parse(["-P", "9000-9010", "host"]);
        Assert.Equal((9000, 9010), o.LocalPorts);
        Assert.Equal(0, o.RequestedPort);
    }

    [Fact]
    public void SinglePortKeepsMeaningTheReceiverPortAndZeroMeansAnyLocalPort()
    {
        Assert.Equal(862, PingOptions.Parse(["-P", "862", "host"]).RequestedPort);
        Assert.Null(PingOptions.Parse(["-P", "862", "host"]).LocalPorts);
        Assert.Equal(862, PingOptions.Parse(["--receiver-port", "862", "host"]).RequestedPort);
        var any = PingOptions.Parse(["-P", "0", "host"]);
        Assert.Null(any.LocalPorts);
        Assert.Equal(0, any.RequestedPort);
    }

    [Theory]
    [InlineData("9010-9000")]
    [InlineData("0-10")]
    [InlineData("1-70000")]
    [InlineData("a-b")]
    [InlineData("70000")]
    public void BadPortRangesAreUsageErrors(string value) =>
        Assert.Throws<UsageException>(() => PingOptions.Parse(["-P", value, "host"]));

    [Theory]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.1.1.1")]
    [InlineData("1")]
    [InlineData("0x7f.1.1.1")]
    [InlineData("host")]
    [InlineData("1:2:3")]
    public void IncompleteSourceAddressesAreUsageErrors(string value)
    {
        var e = Assert.Throws<UsageException>(() => PingOptions.Parse(["-S", value, "host"]));
        Assert.Contains(value, e.Message);
    }

    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("::1")]
    [InlineData("fe80::1%1")]
    public void FullSourceAddressesParse(string value) =>
        Assert.Equal(IPAddress.Parse(value), PingOptions.Parse(["-S", value, "host"]).Source);

    [Fact]
    public void FamilyFlagsAndZeroAddressesParse()
    {
        Assert.Equal(AddressFamily.InterNetwork, PingOptions.Parse(["-4", "host"]).Family);
        Assert.Equal(AddressFamily.InterNetworkV6, PingOptions.Parse(["-6", "host"]).Family);
        Assert.Null(PingOptions.Parse(["host"]).Family);
        Assert.True(PingOptions.Parse(["-Z", "host"]).ZeroAddresses);
        Assert.Throws<UsageException>(() => PingOptions.Parse(["-4", "-S", "::1", "host"]));
    }

    [Theory]
    [InlineData("auth")]
    [InlineData("enc")]
    [InlineData("mixed")]
    [InlineData("enc,auth")]
    public void SecureModesWithoutIdentityAreAUsageErrorNamingUAndK(string modes)
    {
        var e = Assert.Throws<UsageException>(() => PingOptions.Parse(["-m", modes, "host"]));
        Assert.Contains("-u IDENTITY -k KEYFILE", e.Message);
    }

    [Theory]
    [InlineData("-Z")]
    [InlineData("--receiver-port", "862")]
    [InlineData("-P", "862")]
    public void SessionRequestFlagsWithLightAreUsageErrors(params string[] flag) =>
        Assert.Throws<UsageException>(() => PingOptions.Parse([.. flag, "--light", "host"]));

    [Fact]
    public void PreferenceListWithUnauthNeedsNoIdentity() =>
        Assert.Equal([TwampModes.Encrypted, TwampModes.Unauthenticated], PingOptions.Parse(["-m", "enc,unauth", "host"]).Modes);

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public void HelpNeedsNoHost(string flag) => Assert.True(PingOptions.Parse([flag]).Help);

    [Fact]
    public void ZeroAddressesLeaveBothAddressFieldsZeroInTheRequest()
    {
        var o = PingOptions.Parse(["-Z", "host"]);
        var request = PingCommand.BuildRequest(o, IPAddress.Parse("10.0.0.2"), IPAddress.Parse("192.0.2.1"), 9000, 27, 0);
        var bytes = new byte[RequestTwSession.Size];
        request.Write(bytes);
        Assert.All(bytes.AsSpan(16, 32).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(4, bytes[1] & 0x0f); // IPVN still says IPv4

        var normal = PingCommand.BuildRequest(PingOptions.Parse(["host"]), IPAddress.Parse("10.0.0.2"), IPAddress.Parse("192.0.2.1"), 9000, 27, 0);
        normal.Write(bytes);
        Assert.Equal([10, 0, 0, 2], bytes.AsSpan(16, 4).ToArray());
        Assert.Equal([192, 0, 2, 1], bytes.AsSpan(32, 4).ToArray());
    }

    [Fact]
    public void ReceiverPortIsOurOwnUnlessAsked()
    {
        var own = PingCommand.BuildRequest(PingOptions.Parse(["host"]), IPAddress.Loopback, IPAddress.Loopback, 9000, 27, 0);
        Assert.Equal(9000, own.ReceiverPort);
        var asked = PingCommand.BuildRequest(PingOptions.Parse(["--receiver-port", "862", "host"]), IPAddress.Loopback, IPAddress.Loopback, 9000, 27, 0);
        Assert.Equal(862, asked.ReceiverPort);
    }
    /// <summary>A key file without an identity (or the reverse) is a usage error that says what is missing, never an unauthenticated run.</summary>
    [Theory]
    [InlineData("-k needs -u IDENTITY", "-k", "keys", "host")]
    [InlineData("-u needs -k KEYFILE", "-u", "alice", "host")]
    public void KeyFileAndIdentityComeTogether(string message, params string[] args)
    {
        var e = Assert.Throws<UsageException>(() => PingOptions.Parse(args));
        Assert.Contains(message, e.Message);
    }
}
