using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Protocol.Wire.Owamp.Control;

/// <summary>
/// Request-Session, client → server (RFC 4656 §3.5): one logical message in two HMAC-protected parts.
/// <code>
/// preamble, 112 octets                  slots, 16 × n + 16 octets
///   0  1 Command Number (1)               0 16 slot 0 (Owamp.ScheduleSlot)
///   1  1 MBZ (4 bits) | IPVN (4 bits)     …
///   2  1 Conf-Sender   3  1 Conf-Receiver 16n 16 HMAC over the slot blocks
///   4  4 Number of Schedule Slots (n)
///   8  4 Number of Packets
///  12  2 Sender Port  14  2 Receiver Port
///  16 16 Sender Address (IPv4: 4 octets + 12 MBZ)
///  32 16 Receiver Address
///  48 16 SID (meaningful only when Conf-Receiver = 0)
///  64  4 Padding Length
///  68  8 Start Time   76  8 Timeout (32.32 interval)
///  84  4 Type-P Descriptor             88  8 MBZ
///  96 16 HMAC over octets 0-95
/// </code>
/// Conf-Sender = 1 asks the server to send, Conf-Receiver = 1 to receive; "the server MUST interpret
/// any non-zero value as 1". The answer is an <see cref="AcceptSession"/> (same 48-octet layout as
/// in TWAMP): its Port is where the server receives (Conf-Receiver) or sends from (Conf-Sender).
/// </summary>
public sealed record RequestSession : SessionRequestFields
{
    /// <summary>Octets of the preamble before its HMAC.</summary>
    public const int PreambleBodySize = BodySize;
    /// <summary>The preamble with its HMAC.</summary>
    public const int PreambleSize = PreambleBodySize + ControlCipher.HmacLength;

    /// <summary>Number of Schedule Slots as sent in the preamble (what follows it; see <see cref="Slots"/>).</summary>
    public uint NumberOfSlots { get; init; }
    /// <summary>The schedule; <see cref="Write"/> sends its count as Number of Schedule Slots.</summary>
    public IReadOnlyList<ScheduleSlot> Slots { get; init; } = [];

    public RequestSession() { }

    RequestSession(ReadOnlySpan<byte> preamble) : base(preamble) => NumberOfSlots = ReadScheduleSlots(preamble);

    /// <summary>The server is asked to run the sender (RFC 4656 §3.5: non-zero is 1).</summary>
    public bool ServerSends => ConfSender != 0;
    /// <summary>The server is asked to run the receiver.</summary>
    public bool ServerReceives => ConfReceiver != 0;

    /// <summary>Octets of the whole message with <paramref name="slots"/> slots: preamble, slots, HMAC.</summary>
    public static long LengthFor(uint slots) => PreambleSize + (long)slots * ScheduleSlot.Size + ControlCipher.HmacLength;

    /// <summary>Octets of the slot part: the slot blocks and their HMAC.</summary>
    public int SlotPartLength => Slots.Count * ScheduleSlot.Size + ControlCipher.HmacLength;

    public int Length => PreambleSize + SlotPartLength;

    /// <summary>Writes the whole message (HMAC fields zero); <see cref="Seal"/> then protects it.</summary>
    public void Write(Span<byte> destination)
    {
        var d = destination[..Length];
        d.Clear();
        WritePreamble(d);
        WriteSlots(Slots, d[PreambleSize..]);
    }

    /// <summary>Writes octets 0-95 (Number of Schedule Slots = <see cref="Slots"/>.Count).</summary>
    public void WritePreamble(Span<byte> destination) => WriteBody(destination, (byte)OwampCommand.RequestSession, (uint)Slots.Count);

    /// <summary>
    /// Seals a message written by <see cref="Write"/> in place: HMAC over octets 0-95, HMAC over the
    /// slot blocks, encrypting both parts in the stream (RFC 4656 §3.2, §3.5). Also used for the
    /// reproduction at the start of Fetch-Session data (§3.9), whose HMACs are those of that stream.
    /// </summary>
    public static void Seal(ControlCipher cipher, Span<byte> message)
    {
        cipher.SealWithHmac(message[..PreambleSize]);
        cipher.SealWithHmac(message[PreambleSize..]);
    }

    /// <summary>
    /// Decodes octets 0-95. Field values are returned as sent (<see cref="Slots"/> empty,
    /// <see cref="NumberOfSlots"/> set); <see cref="Validate"/> decides whether they are acceptable.
    /// </summary>
    public static RequestSession ParsePreamble(ReadOnlySpan<byte> source)
    {
        if (source.Length < PreambleBodySize) throw new ControlProtocolException($"Request-Session preamble is {PreambleSize} octets, got {source.Length}");
        if (source[0] != (byte)OwampCommand.RequestSession) throw new ControlProtocolException($"not a Request-Session (command {source[0]})");
        return new RequestSession(source);
    }

    /// <summary>
    /// Decodes a whole message as <see cref="Write"/> lays it out (plaintext; HMAC fields are not
    /// looked at: the control channel checks them as it reads).
    /// </summary>
    public static RequestSession Parse(ReadOnlySpan<byte> message)
    {
        var preamble = ParsePreamble(message);
        long length = LengthFor(preamble.NumberOfSlots);
        if (message.Length < length) throw new ControlProtocolException($"Request-Session with {preamble.NumberOfSlots} slot(s) is {length} octets, got {message.Length}");
        return preamble with { Slots = ReadSlots(message[PreambleSize..], (int)preamble.NumberOfSlots) };
    }

    /// <summary>
    /// The MUSTs of RFC 4656 §3.5 a server checks (IPVN and addresses: <see cref="SessionRequestFields.Validate"/>);
    /// every failure is answered with Accept = 3 (some aspect of the request is not supported).
    /// </summary>
    protected override string? ValidateMessage()
    {
        // RFC 4656 §3.5: "At least one of Conf-Sender and Conf-Receiver MUST be 1."
        if (!ServerSends && !ServerReceives) return "neither Conf-Sender nor Conf-Receiver is set";
        // Both: a session between two hosts the server configures; this server is one host.
        if (ServerSends && ServerReceives) return "Conf-Sender and Conf-Receiver both set (a session between two hosts of the server)";
        // RFC 4656 §3.5: the preamble "is immediately followed by one or more schedule slot descriptions".
        if (Slots.Count == 0) return "no schedule slots";
        foreach (var slot in Slots)
            if (!slot.IsKnownType) return $"schedule slot type {(byte)slot.Type} is neither 0 (exponential) nor 1 (fixed)";
        // RFC 4656 §3.5: with Conf-Sender set, a Type-P the server cannot honour SHOULD be refused;
        // without it the descriptor is only a declaration and is not looked at.
        if (ServerSends && !TypeP.IsSupported) return $"Type-P 0x{TypeP.Value:x8} is not a DSCP descriptor";
        return null;
    }

    /// <summary>Writes <paramref name="slots"/> back to back (16 octets each).</summary>
    public static void WriteSlots(IReadOnlyList<ScheduleSlot> slots, Span<byte> destination)
    {
        for (int i = 0; i < slots.Count; i++) slots[i].Write(destination.Slice(i * ScheduleSlot.Size, ScheduleSlot.Size));
    }

    /// <summary>Reads <paramref name="count"/> slots written back to back.</summary>
    public static ScheduleSlot[] ReadSlots(ReadOnlySpan<byte> source, int count)
    {
        if (source.Length < (long)count * ScheduleSlot.Size) throw new ControlProtocolException($"{count} schedule slot(s) are {(long)count * ScheduleSlot.Size} octets, got {source.Length}");
        var slots = new ScheduleSlot[count];
        for (int i = 0; i < count; i++) slots[i] = ScheduleSlot.Read(source.Slice(i * ScheduleSlot.Size, ScheduleSlot.Size));
        return slots;
    }
}
