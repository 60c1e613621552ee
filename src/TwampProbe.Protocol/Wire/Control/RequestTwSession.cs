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
public sealed record RequestTwSession : SessionRequestFields
{
    public const int Size = BodySize + 16;

    /// <summary>Number of Schedule Slots, which MUST be 0 in TWAMP (<see cref="ValidateMessage"/>).</summary>
    public uint ScheduleSlots { get; init; }

    public RequestTwSession() { }

    RequestTwSession(ReadOnlySpan<byte> body) : base(body) => ScheduleSlots = ReadScheduleSlots(body);

    public void Write(Span<byte> destination) => WriteBody(destination, (byte)CommandNumber.RequestTwSession, ScheduleSlots);

    /// <summary>
    /// Decodes the 96-octet body. Field values are returned as sent; whether they are supported is
    /// the server's decision (<see cref="SessionRequestFields.Validate"/>), so that it can answer with the right Accept code.
    /// </summary>
    public static RequestTwSession Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < BodySize) throw new ControlProtocolException($"Request-TW-Session is {Size} octets, got {source.Length}");
        if (source[0] != (byte)CommandNumber.RequestTwSession) throw new ControlProtocolException($"not a Request-TW-Session (command {source[0]})", AcceptCode.NotSupported, false);
        return new RequestTwSession(source);
    }

    /// <summary>The MUSTs of RFC 5357 §3.5 (IPVN and addresses: <see cref="SessionRequestFields.Validate"/>).</summary>
    protected override string? ValidateMessage()
    {
        // RFC 5357 §3.5: "Conf-Sender and Conf-Receiver MUST be set to 0 ... the Server MUST respond
        // with Accept = 3" otherwise; Number of Schedule Slots and Number of Packets MUST be 0.
        if (ConfSender != 0 || ConfReceiver != 0) return "Conf-Sender/Conf-Receiver must be 0";
        if (ScheduleSlots != 0 || Packets != 0) return "Number of Schedule Slots/Packets must be 0";
        // RFC 4656 §3.5: the SID in a request MUST be zero; the receiving side assigns it.
        if (Sid.AsSpan().ContainsAnyExcept((byte)0)) return "SID must be zero in a request";
        if (!TypeP.IsSupported) return $"Type-P 0x{TypeP.Value:x8} is not a DSCP descriptor";
        return null;
    }
}
