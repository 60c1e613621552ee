namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// One received packet's delay and its place in the sending order (<see cref="SequenceAccounting.IndexOf"/>,
/// so that a wrapped 32-bit sequence number still follows its predecessor).
/// </summary>
public readonly record struct SequencedDelay(long Index, double Delay);
