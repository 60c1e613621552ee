using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace TwampProbe.Protocol.Wire.Control;

/// <summary>
/// Request-TW-Session, 112 octets, client → server (RFC 5357 §3.5, layout of RFC 4656 §3.5).
/// <code>
///   0  1 Command Number (5)
///   1  1 MBZ (4 bits) | IPVN (4 bits)
///   2  1 Conf-Sender (MUST be 0)       3  1 Conf-Receiver (MUST be 0)
///   4  4 Number of Schedule Slots (0)   8  4 Number of Packets (0)
///  12  2 Sender Port                   14  2 Receiver Port
///  16 16 Sender Address (IPv4: 4 octets + 12 MBZ)
///  32 16 Receiver Address
///  48 16 SID (MUST be 0: the server chooses)
///  64  4 Padding Length
///  68  8 Start Time                    76  8 Timeout (32.32 interval)
///  84  4 Type-P Descriptor             88  8 MBZ
///  96 16 HMAC (written by the control channel)
/// </code>
/// </summary>
public sealed record RequestTwSession
{
    public const int BodySize = 96;
    public const int Size = BodySize + 16;

    public int IpVersion { get; init; } = 4;
    public byte ConfSender { get; init; }
    public byte ConfReceiver { get; init; }
    public uint ScheduleSlots { get; init; }
    public uint Packets { get; init; }
    public ushort SenderPort { get; init; }
    public ushort ReceiverPort { get; init; }
    /// <summary>Null when the field is all zeros: "use the control connection's address" (RFC 5357 §3.5).</summary>
    public IPAddress? SenderAddress { get; init; }
    public IPAddress? ReceiverAddress { get; init; }
    public byte[] Sid { get; init; } = new byte[16];
    public uint PaddingLength { get; init; }
    public NtpTimestamp StartTime { get; init; }
    public NtpTimestamp Timeout { get; init; }
    public TypeP TypeP { get; init; }

    public void Write(Span<byte> destination)
    {
        var d = destination[..BodySize];
        d.Clear();
        d[0] = (byte)CommandNumber.RequestTwSession;
        d[1] = (byte)(IpVersion & 0x0F);
        d[2] = ConfSender;
        d[3] = ConfReceiver;
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], ScheduleSlots);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], Packets);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], SenderPort);
        BinaryPrimitives.WriteUInt16BigEndian(d[14..], ReceiverPort);
        WriteAddress(d.Slice(16, 16), SenderAddress);
        WriteAddress(d.Slice(32, 16), ReceiverAddress);
        Sid.AsSpan().CopyTo(d.Slice(48, 16));
        BinaryPrimitives.WriteUInt32BigEndian(d[64..], PaddingLength);
        StartTime.Write(d[68..]);
        Timeout.Write(d[76..]);
        BinaryPrimitives.WriteUInt32BigEndian(d[84..], TypeP.Value);
    }

    /// <summary>
    /// Decodes the 96-octet body. Field values are returned as sent; whether they are supported is
    /// the server's decision (<see cref="Validate"/>), so that it can answer with the right Accept code.
    /// </summary>
    public static RequestTwSession Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < BodySize) throw new ControlProtocolException($"Request-TW-Session is {Size} octets, got {source.Length}");
        if (source[0] != (byte)CommandNumber.RequestTwSession) throw new ControlProtocolException($"not a Request-TW-Session (command {source[0]})", AcceptCode.NotSupported, false);
        int ipvn = source[1] & 0x0F;
        return new RequestTwSession
        {
            IpVersion = ipvn,
            ConfSender = source[2],
            ConfReceiver = source[3],
            ScheduleSlots = BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
            Packets = BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
            SenderPort = BinaryPrimitives.ReadUInt16BigEndian(source[12..]),
            ReceiverPort = BinaryPrimitives.ReadUInt16BigEndian(source[14..]),
            SenderAddress = ReadAddress(source.Slice(16, 16), ipvn),
            ReceiverAddress = ReadAddress(source.Slice(32, 16), ipvn),
            Sid = source.Slice(48, 16).ToArray(),
            PaddingLength = BinaryPrimitives.ReadUInt32BigEndian(source[64..]),
            StartTime = NtpTimestamp.Read(source[68..]),
            Timeout = NtpTimestamp.Read(source[76..]),
            TypeP = new TypeP(BinaryPrimitives.ReadUInt32BigEndian(source[84..])),
        };
    }

    /// <summary>
    /// Checks the MUSTs of RFC 5357 §3.5. Returns null when acceptable, else the reason; every
    /// failure here is answered with Accept = 3 (not supported).
    /// </summary>
    public string? Validate()
    {
        if (IpVersion is not (4 or 6)) return $"IPVN {IpVersion} is neither 4 nor 6";
        // RFC 5357 §3.5: "Conf-Sender and Conf-Receiver MUST be set to 0 ... the Server MUST respond
        // with Accept = 3" otherwise; Number of Schedule Slots and Number of Packets MUST be 0.
        if (ConfSender != 0 || ConfReceiver != 0) return "Conf-Sender/Conf-Receiver must be 0";
        if (ScheduleSlots != 0 || Packets != 0) return "Number of Schedule Slots/Packets must be 0";
        // RFC 4656 §3.5: the SID in a request MUST be zero; the receiving side assigns it.
        if (Sid.AsSpan().ContainsAnyExcept((byte)0)) return "SID must be zero in a request";
        if (!TypeP.IsSupported) return $"Type-P 0x{TypeP.Value:x8} is not a DSCP descriptor";
        if (SenderAddress is { } s && !MatchesVersion(s)) return "Sender Address does not match IPVN";
        if (ReceiverAddress is { } r && !MatchesVersion(r)) return "Receiver Address does not match IPVN";
        return null;
    }

    bool MatchesVersion(IPAddress a) => (a.AddressFamily == AddressFamily.InterNetworkV6) == (IpVersion == 6);

    static void WriteAddress(Span<byte> d, IPAddress? address)
    {
        if (address is null) return;
        if (address.AddressFamily == AddressFamily.InterNetwork) address.TryWriteBytes(d[..4], out _);
        else address.TryWriteBytes(d, out _);
    }

    static IPAddress? ReadAddress(ReadOnlySpan<byte> s, int ipvn)
    {
        // IPv4 uses the first 4 octets; the other 12 are MBZ and ignored.
        var address = ipvn == 6 ? s : s[..4];
        return address.ContainsAnyExcept((byte)0) ? new IPAddress(address) : null;
    }
}
