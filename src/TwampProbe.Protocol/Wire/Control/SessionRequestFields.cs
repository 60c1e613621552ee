using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace TwampProbe.Protocol.Wire.Control;

/// <summary>
/// The 96 octets that OWAMP's Request-Session (RFC 4656 §3.5) and TWAMP's Request-TW-Session
/// (RFC 5357 §3.5: it "uses the message format as described in Section 3.5 of OWAMP, but without the
/// Schedule Slot Descriptions field(s)") lay out alike, before the HMAC.
/// <code>
///   0  1 Command Number                   1  1 MBZ (4 bits) | IPVN (4 bits)
///   2  1 Conf-Sender                      3  1 Conf-Receiver
///   4  4 Number of Schedule Slots         8  4 Number of Packets
///  12  2 Sender Port                     14  2 Receiver Port
///  16 16 Sender Address (IPv4: 4 octets + 12 MBZ)
///  32 16 Receiver Address
///  48 16 SID
///  64  4 Padding Length
///  68  8 Start Time                      76  8 Timeout (32.32 interval)
///  84  4 Type-P Descriptor               88  8 MBZ
/// </code>
/// Each message keeps its command number, its meaning of Number of Schedule Slots and its MUSTs
/// (<see cref="ValidateMessage"/>); this type writes and reads the shared fields.
/// </summary>
public abstract record SessionRequestFields
{
    /// <summary>Octets of the shared layout (octets 0-95).</summary>
    public const int BodySize = 96;

    public int IpVersion { get; init; } = 4;
    public byte ConfSender { get; init; }
    public byte ConfReceiver { get; init; }
    public uint Packets { get; init; }
    public ushort SenderPort { get; init; }
    public ushort ReceiverPort { get; init; }
    /// <summary>Null when the field is all zeros: "use the control connection's address" (RFC 5357 §3.5).</summary>
    public IPAddress? SenderAddress { get; init; }
    public IPAddress? ReceiverAddress { get; init; }
    public byte[] Sid { get; init; } = new byte[SessionId.Length];
    public uint PaddingLength { get; init; }
    public NtpTimestamp StartTime { get; init; }
    public NtpTimestamp Timeout { get; init; }
    public TypeP TypeP { get; init; }

    protected SessionRequestFields() { }

    /// <summary>Reads the shared fields of <paramref name="body"/> (at least <see cref="BodySize"/> octets, checked by the caller) as sent.</summary>
    protected SessionRequestFields(ReadOnlySpan<byte> body)
    {
        int ipvn = body[1] & 0x0F;
        IpVersion = ipvn;
        ConfSender = body[2];
        ConfReceiver = body[3];
        Packets = BinaryPrimitives.ReadUInt32BigEndian(body[8..]);
        SenderPort = BinaryPrimitives.ReadUInt16BigEndian(body[12..]);
        ReceiverPort = BinaryPrimitives.ReadUInt16BigEndian(body[14..]);
        SenderAddress = ReadAddress(body.Slice(16, 16), ipvn);
        ReceiverAddress = ReadAddress(body.Slice(32, 16), ipvn);
        Sid = body.Slice(48, 16).ToArray();
        PaddingLength = BinaryPrimitives.ReadUInt32BigEndian(body[64..]);
        StartTime = NtpTimestamp.Read(body[68..]);
        Timeout = NtpTimestamp.Read(body[76..]);
        TypeP = new TypeP(BinaryPrimitives.ReadUInt32BigEndian(body[84..]));
    }

    /// <summary>Number of Schedule Slots (octets 4-7), which each message keeps under its own name and rule.</summary>
    protected static uint ReadScheduleSlots(ReadOnlySpan<byte> body) => BinaryPrimitives.ReadUInt32BigEndian(body[4..]);

    /// <summary>Writes octets 0-95 (MBZ zero) with this message's command number and Number of Schedule Slots.</summary>
    protected void WriteBody(Span<byte> destination, byte command, uint scheduleSlots)
    {
        var d = destination[..BodySize];
        d.Clear();
        d[0] = command;
        d[1] = (byte)(IpVersion & 0x0F);
        d[2] = ConfSender;
        d[3] = ConfReceiver;
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], scheduleSlots);
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
    /// Returns null when the request is acceptable, else the reason; every failure is answered with
    /// Accept = 3 (not supported). In order: IPVN, the message's own MUSTs (<see cref="ValidateMessage"/>),
    /// addresses of the family IPVN names.
    /// </summary>
    public string? Validate()
    {
        if (IpVersion is not (4 or 6)) return $"IPVN {IpVersion} is neither 4 nor 6";
        if (ValidateMessage() is { } reason) return reason;
        if (SenderAddress is { } s && !MatchesVersion(s)) return "Sender Address does not match IPVN";
        if (ReceiverAddress is { } r && !MatchesVersion(r)) return "Receiver Address does not match IPVN";
        return null;
    }

    /// <summary>The MUSTs of this message's own RFC on Conf-Sender/Receiver, slots, SID and Type-P: null or the reason.</summary>
    protected abstract string? ValidateMessage();

    bool MatchesVersion(IPAddress a) => (a.AddressFamily == AddressFamily.InterNetworkV6) == (IpVersion == 6);

    static void WriteAddress(Span<byte> d, IPAddress? address)
    {
        if (address is null) return;
        if (address.AddressFamily == AddressFamily.InterNetwork) address.TryWriteBytes(d[..4], out _);
        else address.TryWriteBytes(d, out _);
    }

    static IPAddress? ReadAddress(ReadOnlySpan<byte> s, int ipvn)
    {
        // RFC 4656 §3.5: with IPVN 4 the 12 octets after the address "MUST be ignored by the server".
        var address = ipvn == 6 ? s : s[..4];
        return address.ContainsAnyExcept((byte)0) ? new IPAddress(address) : null;
    }
}
