namespace TwampProbe.Protocol.Statistics;

/// <summary>
/// One reflected packet as it arrived, for telling the directions apart: the sender's Sequence Number
/// copied back (Sender Sequence Number), the reflector's own Sequence Number (RFC 5357 §4.2.1), and
/// whether it came after the loss threshold.
/// </summary>
public readonly record struct ReplyArrival(uint SenderSequence, uint ReflectorSequence, bool Late);
