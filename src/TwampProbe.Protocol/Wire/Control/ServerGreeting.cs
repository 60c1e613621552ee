using System.Buffers.Binary;

namespace TwampProbe.Protocol.Wire.Control;

/// <summary>
/// Server-Greeting, 64 octets, server → client, clear (RFC 4656 §3.1, RFC 5357 §3.1).
/// <code>
///  0      12 Unused (zeros)
/// 12       4 Modes
/// 16      16 Challenge
/// 32      16 Salt
/// 48       4 Count (PBKDF2 iterations)
/// 52      12 MBZ
/// </code>
/// </summary>
public sealed record ServerGreeting(TwampModes Modes, byte[] Challenge, byte[] Salt, uint Count)
{
    public const int Size = 64;
    const int ModesOffset = 12, ChallengeOffset = 16, SaltOffset = 32, CountOffset = 48;

    /// <summary>RFC 4656 §3.1: Count MUST be a power of 2 and at least 1024.</summary>
    public const uint MinimumCount = 1024;
    /// <summary>RFC 5357 §6: a client SHOULD have a configurable maximum Count, default 32768.</summary>
    public const uint DefaultMaximumCount = 32768;

    public void Write(Span<byte> destination)
    {
        var d = destination[..Size];
        d.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(d[ModesOffset..], (uint)Modes);
        Challenge.AsSpan().CopyTo(d.Slice(ChallengeOffset, 16));
        Salt.AsSpan().CopyTo(d.Slice(SaltOffset, 16));
        BinaryPrimitives.WriteUInt32BigEndian(d[CountOffset..], Count);
    }

    public static ServerGreeting Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size) throw new ControlProtocolException($"Server-Greeting is {Size} octets, got {source.Length}");
        return new ServerGreeting(
            (TwampModes)BinaryPrimitives.ReadUInt32BigEndian(source[ModesOffset..]),
            source.Slice(ChallengeOffset, 16).ToArray(),
            source.Slice(SaltOffset, 16).ToArray(),
            BinaryPrimitives.ReadUInt32BigEndian(source[CountOffset..]));
    }
}
