using TwampProbe.Protocol.Wire;
using Xunit;

namespace TwampProbe.Protocol.Tests.Wire;

public class ErrorEstimateTests
{
    // PROTOCOL.md §1.1 (perfSONAR's synchronized encoding).
    [Theory]
    [InlineData(1e-6, 0x8587)]
    [InlineData(10e-6, 0x88A8)]
    [InlineData(1e-3, 0x8F84)]
    [InlineData(100e-3, 0x95CD)]
    [InlineData(1.0, 0x9981)]
    public void SynchronizedErrorEncodesLikePerfSonar(double seconds, int expected) =>
        Assert.Equal((ushort)expected, ErrorEstimate.FromError(seconds, true).Value);

    [Fact]
    public void UnsynchronizedErrorClearsTheSBit()
    {
        var e = ErrorEstimate.FromError(1e-3, false);
        Assert.Equal((ushort)0x0F84, e.Value);
        Assert.False(e.Synchronized);
    }

    [Theory]
    [InlineData(1e-9)]
    [InlineData(3.3e-7)]
    [InlineData(1e-6)]
    [InlineData(0.0123)]
    [InlineData(7.5)]
    public void EncodedErrorIsNeverSmallerThanTheRealError(double seconds)
    {
        double encoded = ErrorEstimate.FromError(seconds, true).ErrorSeconds;
        Assert.InRange(encoded, seconds, seconds * 1.02 + 1e-9);
    }

    [Fact]
    public void ZeroMultiplierIsInvalid()
    {
        var e = new ErrorEstimate(0x8500);
        Assert.False(e.IsValid);
        Assert.True(double.IsNaN(e.ErrorSeconds));
    }

    [Fact]
    public void PerfSonarUnsynchronizedValueIsValidAndUnsynchronized()
    {
        var e = new ErrorEstimate(0x0001);
        Assert.True(e.IsValid);
        Assert.False(e.Synchronized);
        Assert.Equal((0, 1), (e.Scale, e.Multiplier));
        Assert.Equal(Math.Pow(2, -32), e.ErrorSeconds);
    }

    [Fact]
    public void FieldsDecodeFromTheBits()
    {
        var e = new ErrorEstimate(0xC5_87 | 0x4000);
        Assert.True(e.Synchronized);
        Assert.True(e.PtpFormat);
        Assert.Equal((5, 0x87), (e.Scale, e.Multiplier));
    }

    [Fact]
    public void ZeroErrorStillHasNonZeroMultiplier() => Assert.True(ErrorEstimate.FromError(0, true).IsValid);
}
