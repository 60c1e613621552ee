namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// Everything measured about one direction of a test (an OWAMP session, or the TWAMP round trip):
/// loss (late ones included, RFC 7680), duplicates (RFC 5560), reordering (RFC 4737) and the delays
/// with their variation (<see cref="DelayStatistics"/>, microseconds).
/// </summary>
public sealed record DirectionSummary(
    LossSummary Loss,
    long Received,
    long Duplicates,
    long Reordered,
    double ReorderedRatio,
    DelayStatistics DelayUs);
