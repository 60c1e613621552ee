using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// One packet record of Fetch-Session data, 25 octets (RFC 4656 §3.9):
/// <code>
///  0  4 Sequence Number
///  4  2 Send Error Estimate     6  2 Receive Error Estimate
///  8  8 Send Timestamp         16  8 Receive Timestamp
/// 24  1 TTL (IPv4) / Hop Limit (IPv6) as received; 255 when it could not be read
/// </code>
/// A lost packet has the scheduled send time, the Send Error Estimate of <see cref="LostSendError"/>,
/// the receiver's own Receive Error Estimate, Receive Timestamp 0 and TTL 255 (§3.9, §4.2).
/// </summary>
public readonly record struct PacketRecord(
    uint SequenceNumber,
    ErrorEstimate SendError,
    ErrorEstimate ReceiveError,
    NtpTimestamp SendTimestamp,
    NtpTimestamp ReceiveTimestamp,
    byte Ttl)
{
    public const int Size = 25;
    const int SendErrorOffset = 4, ReceiveErrorOffset = 6, SendTimestampOffset = 8, ReceiveTimestampOffset = 16, TtlOffset = 24;

    /// <summary>"TTL ... it MUST record the TTL value as 255" when it cannot be read (RFC 4656 §4.2).</summary>
    public const byte UnknownTtl = 255;

    /// <summary>
    /// RFC 4656 §3.9 marks lost packets with "Multiplier=1, Scale=64, and S=0". Scale is a 6-bit field,
    /// so 64 cannot be written; like perfSONAR (which masks it to 6 bits) we send 0x0001.
    /// </summary>
    public static readonly ErrorEstimate LostSendError = new(0x0001);

    /// <summary>"A receive timestamp consisting of all zero bits" marks a lost packet (RFC 4656 §3.9).</summary>
    public bool IsLost => ReceiveTimestamp.Value == 0;

    public static PacketRecord Lost(uint sequenceNumber, NtpTimestamp scheduledSendTime, ErrorEstimate receiveError) =>
        new(sequenceNumber, LostSendError, receiveError, scheduledSendTime, default, UnknownTtl);

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, SequenceNumber);
        SendError.Write(destination[SendErrorOffset..]);
        ReceiveError.Write(destination[ReceiveErrorOffset..]);
        SendTimestamp.Write(destination[SendTimestampOffset..]);
        ReceiveTimestamp.Write(destination[ReceiveTimestampOffset..]);
        destination[TtlOffset] = Ttl;
    }

    public static PacketRecord Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32BigEndian(source),
        ErrorEstimate.Read(source[SendErrorOffset..]),
        ErrorEstimate.Read(source[ReceiveErrorOffset..]),
        NtpTimestamp.Read(source[SendTimestampOffset..]),
        NtpTimestamp.Read(source[ReceiveTimestampOffset..]),
        source[TtlOffset]);

    /// <summary>Octets of <paramref name="count"/> records padded with zeros to whole 16-octet blocks.</summary>
    public static long PaddedLength(long count) => OwampBlocks.Pad(count * Size);
}
