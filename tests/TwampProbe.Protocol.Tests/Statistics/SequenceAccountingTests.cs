using TwampProbe.Protocol.Statistics;
using Xunit;

namespace TwampProbe.Protocol.Tests.Statistics;

public class SequenceAccountingTests
{
    static SequenceAccounting StartingAt(uint first, params uint[] arrivals)
    {
        var a = new SequenceAccounting(first);
        foreach (var s in arrivals) a.Add(s);
        return a;
    }

    static SequenceAccounting Of(params uint[] arrivals) => StartingAt(0, arrivals);

    [Fact]
    public void InOrderStreamHasNoLossReorderingOrDuplicates()
    {
        var a = Of(0, 1, 2, 3, 4);
        Assert.Equal((5L, 0L, 0L, 0L), (a.Received, a.Duplicates, a.Reordered, a.Late));
        Assert.Equal(new LossSummary(5, 0, 0, 0, 0), a.Loss(5));
    }

    [Fact]
    public void LossBurstsAreRunsOfConsecutiveMissingNumbers()
    {
        // 0 1 _ _ 4 _ 6 _ _ _ : three bursts (2, 1 and the 3 at the end), longest 3.
        var a = Of(0, 1, 4, 6);
        Assert.Equal(new LossSummary(10, 6, 0, 3, 3), a.Loss(10));
        Assert.Equal(60.0, a.Loss(10).Percent);
    }

    [Fact]
    public void NothingReceivedIsOneBurstOfEverything() => Assert.Equal(new LossSummary(7, 7, 0, 1, 7), Of().Loss(7));

    [Fact]
    public void NothingSentIsNoLoss()
    {
        var loss = Of().Loss(0);
        Assert.Equal(new LossSummary(0, 0, 0, 0, 0), loss);
        Assert.Equal(0.0, loss.Percent);
    }

    [Fact]
    public void OneLateArrivalIsOneReorderedPacket() =>
        // RFC 4737 §3.3: 0,1,3,2,4 → only 2 arrives below NextExp (4).
        Assert.Equal(1L, Of(0, 1, 3, 2, 4).Reordered);

    [Fact]
    public void EarlyArrivalAfterALossIsNotReordering() => Assert.Equal(0L, Of(0, 2, 4).Reordered);

    [Fact]
    public void OnePacketOvertakingManyMakesEachLaterArrivalReordered()
    {
        var a = Of(4, 0, 1, 2);
        Assert.Equal(3L, a.Reordered);
        Assert.Equal(0.75, a.ReorderedRatio);
    }

    [Fact]
    public void DuplicatesAreCountedButNeitherReceivedNorReordered()
    {
        // RFC 4737 §3.6: only the first copy is judged; RFC 7680 §2.5: a duplicated packet is received once.
        var a = Of(0, 1, 1, 2, 1, 0);
        Assert.Equal((3L, 3L, 0L), (a.Received, a.Duplicates, a.Reordered));
        Assert.Equal(0L, a.Loss(3).Lost);
    }

    [Fact]
    public void AddSaysWhatEachCopyWas()
    {
        var a = new SequenceAccounting();
        Assert.Equal(Arrival.First, a.Add(0));
        Assert.Equal(Arrival.Duplicate, a.Add(0));
        Assert.Equal(Arrival.Late, a.Add(1, late: true));
        Assert.Equal(Arrival.LateCopy, a.Add(1, late: true));
        Assert.Equal(Arrival.LateCopy, a.Add(0, late: true));
    }

    [Fact]
    public void LateArrivalIsLostNotReceived()
    {
        // RFC 7680 §2.4: received means within Tmax; 1 came after it.
        var a = new SequenceAccounting();
        a.Add(0);
        a.Add(1, late: true);
        a.Add(2);
        Assert.Equal((2L, 1L, 0L, 0L), (a.Received, a.Late, a.Duplicates, a.Reordered));
        Assert.Equal(new LossSummary(3, 1, 1, 1, 1), a.Loss(3));
        Assert.False(a.IsReceived(1));
        Assert.Equal(2L, a.HighestIndex);
    }

    [Fact]
    public void LateCopyOfAReceivedPacketIsNeitherDuplicateNorLate()
    {
        var a = new SequenceAccounting();
        a.Add(0);
        a.Add(0, late: true);
        Assert.Equal((1L, 0L, 0L), (a.Received, a.Duplicates, a.Late));
    }

    [Fact]
    public void LateArrivalsAreLeftOutOfReordering()
    {
        // 2 is late; 1 arrives after it in time: with 2 ignored, NextExp is 2 when 1 comes, so 1 is in order.
        var a = new SequenceAccounting();
        a.Add(0);
        a.Add(2, late: true);
        a.Add(1);
        Assert.Equal(0L, a.Reordered);
    }

    [Fact]
    public void SequenceNumbersWrapFromTheTopOfThe32BitRange()
    {
        var a = StartingAt(0xFFFF_FFFE, 0xFFFF_FFFE, 0xFFFF_FFFF, 0, 1);
        Assert.Equal((4L, 0L, 0L), (a.Received, a.Reordered, a.Duplicates));
        Assert.Equal(new LossSummary(4, 0, 0, 0, 0), a.Loss(4));
        Assert.Equal((0L, 1L, 2L, 3L), (a.IndexOf(0xFFFF_FFFE), a.IndexOf(0xFFFF_FFFF), a.IndexOf(0), a.IndexOf(1)));
    }

    [Fact]
    public void ReorderingAcrossTheWrapIsSeen()
    {
        // Sent FFFFFFFE, FFFFFFFF, 0, 1; FFFFFFFF arrives after 0: reordered (0 is after it in sending order).
        var a = StartingAt(0xFFFF_FFFE, 0xFFFF_FFFE, 0, 0xFFFF_FFFF, 1);
        Assert.Equal(1L, a.Reordered);
        Assert.Equal(0L, a.Loss(4).Lost);
    }

    [Fact]
    public void LossAcrossTheWrapIsOneBurst()
    {
        // Sent FFFFFFFD … 1 (5 packets); lost FFFFFFFE, FFFFFFFF, 0: one burst of 3. 2 is beyond the 5 sent.
        var a = StartingAt(0xFFFF_FFFD, 0xFFFF_FFFD, 1, 2);
        Assert.Equal(new LossSummary(5, 3, 0, 1, 3), a.Loss(5));
    }

    [Fact]
    public void ArrivalsAcrossBitmapPagesAreCounted()
    {
        // 65 535 and 65 536 sit in different 8 KiB pages; 200 000 in a third.
        var a = new SequenceAccounting();
        for (uint s = 65_530; s < 65_540; s++) a.Add(s);
        a.Add(200_000);
        a.Add(65_535);
        Assert.Equal((11L, 1L), (a.Received, a.Duplicates));
        var loss = a.Loss(200_001);
        Assert.Equal(200_001 - 11, loss.Lost);
        // Bursts 0 … 65 529 and 65 540 … 199 999.
        Assert.Equal((2L, 200_000L - 65_540), (loss.Bursts, loss.LongestBurst));
    }
}
