namespace TwampProbe.Protocol.Tests.Golden;

/// <summary>One packet block of a pcapng file, before any protocol decoding.</summary>
/// <param name="Number">1-based frame number, as tshark numbers frames.</param>
/// <param name="TimestampUtc">Capture time (UTC; 100 ns resolution). Unix epoch for Simple Packet Blocks, which carry no time.</param>
/// <param name="LinkData">Captured bytes, starting at the link-layer header.</param>
/// <param name="LinkType">LINKTYPE_* of the interface the frame was captured on.</param>
public sealed record CapturedFrame(int Number, DateTime TimestampUtc, byte[] LinkData, int LinkType);
