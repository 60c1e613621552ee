using TwampProbe.Cli;

namespace TwampProbe.Tests.Cli;

/// <summary><c>-L SECONDS</c>, twping's loss timeout: the RFC 7680 threshold between a late reply and a lost one.</summary>
public sealed class PingLossThresholdTests
{
    [Fact]
    public void DefaultLossThresholdIsTwoSeconds() => Assert.Equal(2.0, PingOptions.Parse(["192.0.2.1"]).LossTimeoutSeconds);

    [Theory]
    [InlineData("0.5", 0.5)]
    [InlineData("0.01", 0.01)]
    [InlineData("3600", 3600.0)]
    [InlineData("1.", 1.0)]
    public void DecimalSecondsAreTaken(string value, double seconds) =>
        Assert.Equal(seconds, PingOptions.Parse(["-L", value, "192.0.2.1"]).LossTimeoutSeconds);

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("0.001")]
    [InlineData("3601")]
    [InlineData("1e3")]
    [InlineData("2s")]
    [InlineData("")]
    public void AnythingElseIsAUsageErrorNamingTheRange(string value)
    {
        var e = Assert.Throws<UsageException>(() => PingOptions.Parse(["-L", value, "192.0.2.1"]));
        Assert.Contains("-L", e.Message);
        Assert.Contains("0.01..3600", e.Message);
    }
}
