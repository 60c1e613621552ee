using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire.Control;

/// <summary>
/// Server-Start, 48 octets, server → client (RFC 4656 §3.1).
/// <code>
///  0  15 MBZ
/// 15   1 Accept
/// 16  16 Server-IV
/// 32   8 Start-Time (NTP; zeros when Accept ≠ 0)
/// 40   8 MBZ
/// </code>
/// In modes 2/4/8 octets 32-47 are the first block of the server's encrypted stream.
/// </summary>
public sealed record ServerStart(AcceptCode Accept, byte[] ServerIv, NtpTimestamp StartTime)
{
    public const int Size = 48;
    /// <summary>Octets 0-31 go in clear; the rest belongs to the encrypted stream in secure modes.</summary>
    public const int ClearPrefix = 32;
    const int AcceptOffset = 15, ServerIvOffset = 16, StartTimeOffset = 32;

    public void Write(Span<byte> destination)
    {
        var d = destination[..Size];
        d.Clear();
        d[AcceptOffset] = (byte)Accept;
        ServerIv.AsSpan().CopyTo(d.Slice(ServerIvOffset, 16));
        StartTime.Write(d[StartTimeOffset..]);
    }

    public static ServerStart Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size) throw new ControlProtocolException($"Server-Start is {Size} octets, got {source.Length}");
        return new ServerStart(
            AcceptCodeExtensions.Normalize(source[AcceptOffset]),
            source.Slice(ServerIvOffset, 16).ToArray(),
            NtpTimestamp.Read(source[StartTimeOffset..]));
    }
}
