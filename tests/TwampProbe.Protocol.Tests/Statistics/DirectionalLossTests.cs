using TwampProbe.Protocol.Statistics;
using Xunit;

namespace TwampProbe.Protocol.Tests.Statistics;

public class DirectionalLossTests
{
    /// <summary>Arrivals as (sender sequence, reflector sequence) pairs, in arrival order, none late.</summary>
    static DirectionalLoss Split(long sent, params (uint S, uint R)[] replies) =>
        DirectionalLoss.From(replies.Select(r => new ReplyArrival(r.S, r.R, false)).ToArray(), sent, ReflectorNumbering.Counter);

    static (long Forward, long Backward, long Unknown) Lost(DirectionalLoss d)
    {
        Assert.True(d.Known, d.Reason);
        return (d.ForwardLost, d.BackwardLost, d.DirectionUnknown);
    }

    [Fact]
    public void NoLossIsNoLossEitherWay()
    {
        var d = Split(4, (0, 0), (1, 1), (2, 2), (3, 3));
        Assert.Equal((0L, 0L, 0L), Lost(d));
        Assert.Equal((0L, 0L, 0L, 0L), (d.ForwardDuplicates, d.BackwardDuplicates, d.ForwardReordered, d.BackwardReordered));
    }

    [Fact]
    public void PacketsThatNeverReachedTheReflectorAreForwardLoss()
    {
        // 3 and 4 lost on the way out: the reflector's count goes on without them.
        var d = Split(10, (0, 0), (1, 1), (2, 2), (5, 3), (6, 4), (7, 5), (8, 6), (9, 7));
        Assert.Equal((2L, 0L, 0L), Lost(d));
    }

    [Fact]
    public void RepliesLostOnTheWayBackAreBackwardLoss()
    {
        // The reflector answered all 10; replies 3 and 4 never came back.
        var d = Split(10, (0, 0), (1, 1), (2, 2), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9));
        Assert.Equal((0L, 2L, 0L), Lost(d));
    }

    [Fact]
    public void LossAfterTheLastReplyHasNoKnownDirection()
    {
        // Forward: 2 and 8 lost; the reflector numbers 0,1,3,4,5,6,7,9 as 0..7; replies 4 (packet 5)
        // and 7 (packet 9) lost backward. After the last reply back (packet 7): 8 and 9, direction unknown.
        var d = Split(10, (0, 0), (1, 1), (3, 2), (4, 3), (6, 5), (7, 6));
        Assert.Equal((1L, 1L, 2L), Lost(d));
    }

    [Fact]
    public void ReflectorCountBeyondTheLastSenderNumberMovesTailLossBackward()
    {
        // The reflector received 0, 2, 1 (numbers 0, 1, 2); the reply for 2 (number 1) was lost.
        var d = Split(3, (0, 0), (1, 2));
        Assert.Equal((0L, 1L, 0L), Lost(d));
    }

    [Fact]
    public void OneSenderNumberUnderTwoReflectorNumbersIsAForwardDuplicate()
    {
        var d = Split(3, (0, 0), (1, 1), (1, 2), (2, 3));
        Assert.Equal((0L, 0L, 0L), Lost(d));
        Assert.Equal((1L, 0L), (d.ForwardDuplicates, d.BackwardDuplicates));
    }

    [Fact]
    public void TheSameReplyTwiceIsABackwardDuplicate()
    {
        var d = Split(3, (0, 0), (1, 1), (1, 1), (2, 2));
        Assert.Equal((0L, 0L, 0L), Lost(d));
        Assert.Equal((0L, 1L), (d.ForwardDuplicates, d.BackwardDuplicates));
    }

    [Fact]
    public void ReorderingOnTheWayOutShowsInTheReflectorsOrder()
    {
        // The reflector received 0, 2, 1, 3; the replies came back in its order.
        var d = Split(4, (0, 0), (2, 1), (1, 2), (3, 3));
        Assert.Equal((1L, 0L), (d.ForwardReordered, d.BackwardReordered));
    }

    [Fact]
    public void ReorderingOnTheWayBackShowsInTheReflectorsNumbers()
    {
        // In order at the reflector; reply 2 overtook reply 1.
        var d = Split(4, (0, 0), (2, 2), (1, 1), (3, 3));
        Assert.Equal((0L, 1L), (d.ForwardReordered, d.BackwardReordered));
    }

    [Fact]
    public void LateRepliesReachedTheReflectorAndAreNotDirectionalLoss()
    {
        // Packet 1's reply came after -L: lost (late) for the round trip, but neither way lost.
        var arrivals = new[] { new ReplyArrival(0, 0, false), new ReplyArrival(2, 2, false), new ReplyArrival(1, 1, true), new ReplyArrival(3, 3, false) };
        var d = DirectionalLoss.From(arrivals, 4, ReflectorNumbering.Counter);
        Assert.Equal((0L, 0L, 0L), Lost(d));
        Assert.Equal(0L, d.BackwardReordered); // the late reply is not judged for reordering
    }

    [Fact]
    public void NoRepliesFromACountingReflectorLeaveEveryLossWithoutDirection() =>
        Assert.Equal((0L, 0L, 5L), Lost(Split(5)));

    [Fact]
    public void ReflectorCopyingTheSenderNumberInLightModeMakesDirectionsUnknown()
    {
        // RFC 5357 Appendix I: a stateless Light reflector copies; 2 was lost, but which way is unknowable.
        var arrivals = new[] { new ReplyArrival(0, 0, false), new ReplyArrival(1, 1, false), new ReplyArrival(3, 3, false) };
        var d = DirectionalLoss.From(arrivals, 4, ReflectorNumbering.MayCopy);
        Assert.False(d.Known);
        Assert.Contains("Sequence Number equals the sender's", d.Reason);
    }

    [Fact]
    public void CountingLightReflectorIsTrusted()
    {
        var arrivals = new[] { new ReplyArrival(0, 0, false), new ReplyArrival(1, 1, false), new ReplyArrival(3, 2, false) };
        Assert.Equal((1L, 0L, 0L), Lost(DirectionalLoss.From(arrivals, 4, ReflectorNumbering.MayCopy)));
    }

    [Fact]
    public void LightWithoutRepliesCannotJudgeTheNumbering() =>
        Assert.False(DirectionalLoss.From([], 3, ReflectorNumbering.MayCopy).Known);

    [Fact]
    public void FullTwampReflectorIsBelievedEvenWhenItsNumbersEqualTheSenders()
    {
        // RFC 5357 §4.2.1 obliges a counter: equal numbers with a gap mean the reply was lost backward.
        Assert.Equal((0L, 1L, 0L), Lost(Split(4, (0, 0), (1, 1), (3, 3))));
    }

    [Fact]
    public void ReflectorNumberGivenToTwoPacketsIsNoCounter()
    {
        var d = Split(3, (0, 0), (1, 0), (2, 0));
        Assert.False(d.Known);
        Assert.Contains("two different packets", d.Reason);
    }

    [Fact]
    public void ReflectorNumberFarBeyondThePacketsSentIsNoCounter()
    {
        var d = Split(3, (0, 1_000_000), (1, 1_000_001));
        Assert.False(d.Known);
        Assert.Contains("beyond", d.Reason);
    }

    [Fact]
    public void FullTwampCountRunningAheadMeansHiddenForwardDuplicates()
    {
        // 3 sent, all arrive once each; the reflector's numbers reach 4: two more transmissions than
        // packets, i.e. two forward copies whose replies were lost (numbers 1 and 3 never came back).
        var d = Split(3, (0, 0), (1, 2), (2, 4));
        Assert.Equal((0L, 0L, 0L), Lost(d));
        Assert.Equal(2L, d.ForwardDuplicates);
    }

    [Fact]
    public void LightCountRunningAheadIsNoCounterOfThisSession()
    {
        // A Light reflector whose counter started before this session: numbers 5, 6, 7 for packets 0, 1, 2.
        var arrivals = new[] { new ReplyArrival(0, 5, false), new ReplyArrival(1, 6, false), new ReplyArrival(2, 7, false) };
        var d = DirectionalLoss.From(arrivals, 3, ReflectorNumbering.MayCopy);
        Assert.False(d.Known);
        Assert.Contains("did not start at 0", d.Reason);
    }

    [Fact]
    public void SenderNumbersBeyondWhatWasSentAreIgnored() =>
        Assert.Equal((0L, 0L, 0L), Lost(Split(2, (0, 0), (1, 1), (7, 2))));

    [Fact]
    public void RandomPathsWithoutReorderingAreSplitExactly()
    {
        // Property: forward loss, forward duplication, backward loss and duplication drawn at random;
        // the split matches the truth within the range the replies cover, and the parts add up.
        var rng = new Random(5357);
        for (int run = 0; run < 300; run++)
        {
            int sent = rng.Next(1, 200);
            var arrivals = new List<ReplyArrival>();
            var forwardLost = new bool[sent];
            var backwardLost = new List<bool>();
            var senderOf = new List<uint>();
            uint next = 0;
            for (uint s = 0; s < sent; s++)
            {
                if (rng.NextDouble() < 0.1) { forwardLost[s] = true; continue; }
                int copies = rng.NextDouble() < 0.05 ? 2 : 1;
                for (int c = 0; c < copies; c++)
                {
                    uint r = next++;
                    senderOf.Add(s);
                    bool lost = rng.NextDouble() < 0.1;
                    backwardLost.Add(lost);
                    if (lost) continue;
                    arrivals.Add(new ReplyArrival(s, r, false));
                    if (rng.NextDouble() < 0.03) arrivals.Add(new ReplyArrival(s, r, false));
                }
            }
            var d = DirectionalLoss.From(arrivals, sent, ReflectorNumbering.Counter);
            Assert.True(d.Known, d.Reason);
            var acc = new SequenceAccounting();
            foreach (var a in arrivals) acc.Add(a.SenderSequence);
            long roundTripLost = sent - acc.Received;
            Assert.Equal(roundTripLost, d.ForwardLost + d.BackwardLost + d.DirectionUnknown);
            if (arrivals.Count == 0) continue;
            long highestR = arrivals.Max(a => a.ReflectorSequence);
            long highestS = arrivals.Max(a => a.SenderSequence);
            // A forward-duplicated packet whose every reply was lost looks like one forward packet, so
            // compare with the truth only where no such hidden copy exists.
            bool hiddenCopies = Enumerable.Range(0, (int)highestR + 1).GroupBy(r => senderOf[r])
                .Any(g => g.Count() > 1 && g.Any(r => backwardLost[r]));
            if (hiddenCopies) continue;
            Assert.Equal(forwardLost.Take((int)highestS + 1).Count(x => x), d.ForwardLost);
            Assert.Equal(backwardLost.Take((int)highestR + 1).Count(x => x), d.BackwardLost);
        }
    }
}
