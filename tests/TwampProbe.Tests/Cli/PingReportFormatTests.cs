using TwampProbe.Cli;

namespace TwampProbe.Tests.Cli;

/// <summary>How the text report writes numbers.</summary>
public sealed class PingReportFormatTests
{
    [Theory]
    [InlineData(-0.2, "0.000")]   // a signed IPDV of −0.2 µs is not "-0.000" ms
    [InlineData(-0.6, "-0.001")]
    [InlineData(1234.4, "1.234")]
    [InlineData(2500, "2.500")]
    [InlineData(double.NaN, "-")]
    public void MillisecondsHaveThreeDecimalsAndNoNegativeZero(double us, string text) => Assert.Equal(text, PingReport.Ms(us));

    [Theory]
    [InlineData(-0.04, "0.0")]
    [InlineData(7.25, "7.3")]    // halves away from zero, as "0.0" formatting always did
    [InlineData(double.PositiveInfinity, "-")]
    public void MicrosecondsHaveOneDecimalAndNoNegativeZero(double us, string text) => Assert.Equal(text, PingReport.Us(us));
}
