using TwampProbe.Linux.Net;
using Xunit;

namespace TwampProbe.Linux.Tests;

/// <summary>What the probe does with a NIC's hwtstamp_config as SIOCGHWTSTAMP reports it.</summary>
public sealed class HardwareTimestampPolicyTests
{
    const int TxOff = 0, TxOn = 1, TxOneStepSync = 2;
    const int None = 0, All = 1, Some = 2, PtpV2Event = 12;

    [Theory]
    [InlineData(TxOff)]
    [InlineData(TxOn)]
    public void UnusedNicIsSetForAllPackets(int tx)
    {
        var d = HardwareTimestampPolicy.Decide("eth0", tx, None);
        Assert.True(d.Set);
    }

    [Fact]
    public void PtpDaemonsFilterIsKeptAndRxFallsBackToSoftware()
    {
        var d = HardwareTimestampPolicy.Decide("eth0", TxOn, PtpV2Event);
        Assert.False(d.Set);
        Assert.False(d.Rx);
        Assert.True(d.Tx);
        Assert.Contains("another program", d.Reason);
        Assert.Contains("software RX timestamps", d.Reason);
    }

    [Fact]
    public void OneStepTxOfAPtpDaemonIsNotOverridden()
    {
        var d = HardwareTimestampPolicy.Decide("eth0", TxOneStepSync, None);
        Assert.False(d.Set);
        Assert.False(d.Tx);
    }

    [Fact]
    public void FilterAllSetByAnotherProgramIsUsedAsItIs()
    {
        var d = HardwareTimestampPolicy.Decide("eth0", TxOn, All);
        Assert.Equal(new HardwareTimestampDecision(false, true, true, null), d);
    }

    [Theory]
    [InlineData(All, true)]
    [InlineData(Some, true)]
    [InlineData(PtpV2Event, false)]
    public void DriversAnswerToOurRequestDecidesRx(int rxFilter, bool rx)
    {
        var d = HardwareTimestampPolicy.AfterSet("eth0", TxOn, rxFilter);
        Assert.Equal(rx, d.Rx);
        Assert.True(d.Tx);
        Assert.Equal(rx, d.Reason is null);
    }
}
