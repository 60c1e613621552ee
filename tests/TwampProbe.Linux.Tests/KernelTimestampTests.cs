using TwampProbe.Linux.Net;
using TwampProbe.Linux.Tests.Time;
using TwampProbe.Linux.Time;
using Xunit;

namespace TwampProbe.Linux.Tests;

/// <summary>Which timestamp of an SCM_TIMESTAMPING message a socket reports: never raw PHC time.</summary>
public sealed class KernelTimestampTests
{
    const long Start = 1_700_000_000_000_000_000, Tai = 37_000_000_000;

    [Fact]
    public void HardwareTimestampIsReportedOnTheSystemTimescale()
    {
        var fake = new FakePhc(Start, Tai, 0);
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);
        long t = Start + 1_000_000;

        Assert.True(KernelTimestamp.TryPick(t + 7_000, fake.PhcAt(t), scale, out long ns, out var source));
        Assert.Equal(TimestampSource.Hardware, source);
        Assert.InRange(ns - t, -50, 50); // converted: not the raw PHC value (37 s off), not the software one
    }

    [Fact]
    public void SoftwareTimestampIsUsedWhenThePhcCannotBeConverted()
    {
        var fake = new FakePhc(Start, Tai, 0) { Fails = true };
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);

        Assert.True(KernelTimestamp.TryPick(Start, Start + Tai, scale, out long ns, out var source));
        Assert.Equal(TimestampSource.Kernel, source);
        Assert.Equal(Start, ns);
    }

    [Fact]
    public void SoftwareTimestampIsUsedWithoutAPhcOrAHardwareStamp()
    {
        Assert.True(KernelTimestamp.TryPick(Start, Start + Tai, null, out long ns, out var source));
        Assert.Equal((Start, TimestampSource.Kernel), (ns, source));

        var fake = new FakePhc(Start, Tai, 0);
        using var scale = new PhcTimescale(fake, TimeSpan.Zero);
        Assert.True(KernelTimestamp.TryPick(Start, 0, scale, out ns, out source));
        Assert.Equal((Start, TimestampSource.Kernel), (ns, source));
    }

    [Fact]
    public void NoTimestampAtAllIsReported()
    {
        Assert.False(KernelTimestamp.TryPick(0, 0, null, out _, out var source));
        Assert.Equal(TimestampSource.User, source);
    }
}
