using System.Buffers.Binary;

namespace TwampProbe.Protocol.Tests.Golden;

/// <summary>
/// Minimal, dependency-free pcapng reader (SHB in either byte order, IDB with if_tsresol/if_tsoffset,
/// EPB, SPB; all other blocks are skipped). Frame numbers are 1-based over EPB/SPB, like tshark.
/// </summary>
public static class PcapngReader
{
    private const uint SectionHeaderBlock = 0x0A0D0D0A;
    private const uint InterfaceDescriptionBlock = 0x00000001;
    private const uint SimplePacketBlock = 0x00000003;
    private const uint EnhancedPacketBlock = 0x00000006;
    private const uint ByteOrderMagic = 0x1A2B3C4D;

    private sealed record Interface(int LinkType, int SnapLen, bool Decimal, int ResolutionExponent, long OffsetSeconds);

    public static IReadOnlyList<CapturedFrame> Read(string path) => Parse(File.ReadAllBytes(path));

    public static IReadOnlyList<CapturedFrame> Parse(ReadOnlySpan<byte> file)
    {
        var frames = new List<CapturedFrame>();
        var interfaces = new List<Interface>();
        bool bigEndian = false;
        bool sawSection = false;
        int pos = 0;

        while (pos < file.Length)
        {
            if (file.Length - pos < 12)
                throw new InvalidDataException($"Truncated block header at offset {pos}.");

            uint rawType = BinaryPrimitives.ReadUInt32LittleEndian(file[pos..]);
            if (rawType == SectionHeaderBlock)
            {
                // The byte-order magic decides the endianness of this section (including its own length).
                uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(file[(pos + 8)..]);
                if (magicLe == ByteOrderMagic)
                    bigEndian = false;
                else if (BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 8)..]) == ByteOrderMagic)
                    bigEndian = true;
                else
                    throw new InvalidDataException($"Bad byte-order magic in SHB at offset {pos}.");
                interfaces.Clear();
                sawSection = true;
            }
            else if (!sawSection)
            {
                throw new InvalidDataException("Not a pcapng file (first block is not a Section Header Block).");
            }

            uint type = U32(file, pos, bigEndian);
            int length = checked((int)U32(file, pos + 4, bigEndian));
            if (length < 12 || length % 4 != 0 || pos + length > file.Length)
                throw new InvalidDataException($"Bad block length {length} at offset {pos}.");
            if (U32(file, pos + length - 4, bigEndian) != (uint)length)
                throw new InvalidDataException($"Trailing block length mismatch at offset {pos}.");

            ReadOnlySpan<byte> body = file.Slice(pos + 8, length - 12);
            switch (type)
            {
                case InterfaceDescriptionBlock:
                    interfaces.Add(ParseInterface(body, bigEndian));
                    break;
                case EnhancedPacketBlock:
                {
                    int ifId = checked((int)U32(body, 0, bigEndian));
                    if (ifId >= interfaces.Count)
                        throw new InvalidDataException($"EPB references unknown interface {ifId}.");
                    Interface itf = interfaces[ifId];
                    ulong ts = ((ulong)U32(body, 4, bigEndian) << 32) | U32(body, 8, bigEndian);
                    int captured = checked((int)U32(body, 12, bigEndian));
                    if (20 + captured > body.Length)
                        throw new InvalidDataException($"EPB captured length {captured} exceeds block at offset {pos}.");
                    frames.Add(new CapturedFrame(frames.Count + 1, ToDateTime(ts, itf),
                        body.Slice(20, captured).ToArray(), itf.LinkType));
                    break;
                }
                case SimplePacketBlock:
                {
                    if (interfaces.Count == 0)
                        throw new InvalidDataException("SPB without an interface.");
                    Interface itf = interfaces[0];
                    int original = checked((int)U32(body, 0, bigEndian));
                    int captured = Math.Min(original, body.Length - 4);
                    if (itf.SnapLen > 0)
                        captured = Math.Min(captured, itf.SnapLen);
                    frames.Add(new CapturedFrame(frames.Count + 1, DateTime.UnixEpoch,
                        body.Slice(4, captured).ToArray(), itf.LinkType));
                    break;
                }
                default:
                    break; // SHB handled above; NRB, ISB, DSB, custom blocks... skipped.
            }

            pos += length;
        }

        return frames;
    }

    private static Interface ParseInterface(ReadOnlySpan<byte> body, bool bigEndian)
    {
        int linkType = U16(body, 0, bigEndian);
        int snapLen = checked((int)U32(body, 4, bigEndian));
        bool isDecimal = true;
        int exponent = 6; // default: microseconds
        long offsetSeconds = 0;

        int p = 8;
        while (p + 4 <= body.Length)
        {
            int code = U16(body, p, bigEndian);
            int len = U16(body, p + 2, bigEndian);
            if (code == 0) break; // opt_endofopt
            if (p + 4 + len > body.Length)
                throw new InvalidDataException("IDB option overruns block.");
            ReadOnlySpan<byte> value = body.Slice(p + 4, len);
            if (code == 9 && len >= 1) // if_tsresol
            {
                byte r = value[0];
                isDecimal = (r & 0x80) == 0;
                exponent = r & 0x7F;
            }
            else if (code == 14 && len >= 8) // if_tsoffset
            {
                offsetSeconds = bigEndian
                    ? BinaryPrimitives.ReadInt64BigEndian(value)
                    : BinaryPrimitives.ReadInt64LittleEndian(value);
            }
            p += 4 + ((len + 3) & ~3);
        }

        return new Interface(linkType, snapLen, isDecimal, exponent, offsetSeconds);
    }

    private static DateTime ToDateTime(ulong ts, Interface itf)
    {
        // Convert units of 10^-e or 2^-e seconds into 100 ns ticks.
        UInt128 ticks;
        if (itf.Decimal)
        {
            ticks = itf.ResolutionExponent <= 7
                ? (UInt128)ts * Pow10(7 - itf.ResolutionExponent)
                : (UInt128)ts / Pow10(itf.ResolutionExponent - 7);
        }
        else
        {
            ticks = ((UInt128)ts * 10_000_000UL) >> itf.ResolutionExponent;
        }

        return DateTime.UnixEpoch.AddTicks(checked((long)ticks)).AddSeconds(itf.OffsetSeconds);
    }

    private static UInt128 Pow10(int n)
    {
        UInt128 r = 1;
        for (int i = 0; i < n; i++) r *= 10;
        return r;
    }

    private static uint U32(ReadOnlySpan<byte> s, int offset, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s[offset..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[offset..]);

    private static ushort U16(ReadOnlySpan<byte> s, int offset, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s[offset..]) : BinaryPrimitives.ReadUInt16LittleEndian(s[offset..]);
}
