using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace TwampProbe.Protocol.Tests.Golden;

/// <summary>
/// Decodes link layer (ETHERNET 1, NULL 0, LOOP 108, RAW 101/12/14, IPV4 228, IPV6 229, LINUX_SLL 113, LINUX_SLL2 276),
/// IPv4/IPv6 and TCP/UDP. Returns null for anything else (ARP, ICMP, IP fragments, truncated frames).
/// </summary>
public static class PacketDecoder
{
    private const int EtherTypeIPv4 = 0x0800;
    private const int EtherTypeIPv6 = 0x86DD;

    public static DecodedPacket? Decode(CapturedFrame f)
    {
        ArgumentNullException.ThrowIfNull(f);
        ReadOnlySpan<byte> d = f.LinkData;
        int ipOffset;

        switch (f.LinkType)
        {
            case 1: // ETHERNET
            {
                if (d.Length < 14) return null;
                int off = 12;
                int etherType = BinaryPrimitives.ReadUInt16BigEndian(d[off..]);
                while (etherType is 0x8100 or 0x88A8 or 0x9100) // VLAN tags
                {
                    off += 4;
                    if (d.Length < off + 2) return null;
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(d[off..]);
                }
                if (etherType is not (EtherTypeIPv4 or EtherTypeIPv6)) return null;
                ipOffset = off + 2;
                break;
            }
            case 113: // LINUX_SLL: protocol at 14, header 16
                if (d.Length < 16) return null;
                if (BinaryPrimitives.ReadUInt16BigEndian(d[14..]) is not (EtherTypeIPv4 or EtherTypeIPv6)) return null;
                ipOffset = 16;
                break;
            case 276: // LINUX_SLL2: protocol at 0, header 20
                if (d.Length < 20) return null;
                if (BinaryPrimitives.ReadUInt16BigEndian(d) is not (EtherTypeIPv4 or EtherTypeIPv6)) return null;
                ipOffset = 20;
                break;
            case 0:   // NULL: 4-byte address family in host byte order
            case 108: // LOOP: same, network byte order
                // Family values differ per OS for IPv6; the IP version nibble is authoritative.
                ipOffset = 4;
                break;
            case 101: // RAW
            case 12:  // DLT_RAW on some BSDs
            case 14:
            case 228: // IPV4
            case 229: // IPV6
                ipOffset = 0;
                break;
            default:
                return null;
        }

        return DecodeIp(f, d[ipOffset..]);
    }

    private static DecodedPacket? DecodeIp(CapturedFrame f, ReadOnlySpan<byte> ip)
    {
        if (ip.Length < 1) return null;
        int version = ip[0] >> 4;
        IPAddress src, dst;
        byte ttl, tc;
        int proto;
        ReadOnlySpan<byte> l4;

        if (version == 4)
        {
            if (ip.Length < 20) return null;
            int ihl = (ip[0] & 0x0F) * 4;
            int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
            if (ihl < 20 || total < ihl || ip.Length < ihl) return null;
            ushort frag = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
            if ((frag & 0x3FFF) != 0) return null; // MF set or non-zero offset: fragment
            tc = ip[1];
            ttl = ip[8];
            proto = ip[9];
            src = new IPAddress(ip.Slice(12, 4));
            dst = new IPAddress(ip.Slice(16, 4));
            l4 = ip[ihl..Math.Min(total, ip.Length)]; // drop Ethernet padding
        }
        else if (version == 6)
        {
            if (ip.Length < 40) return null;
            tc = (byte)(((ip[0] & 0x0F) << 4) | (ip[1] >> 4));
            int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            proto = ip[6];
            ttl = ip[7];
            src = new IPAddress(ip.Slice(8, 16));
            dst = new IPAddress(ip.Slice(24, 16));
            l4 = ip[40..Math.Min(40 + payloadLength, ip.Length)];
            while (true)
            {
                if (proto is 0 or 43 or 60) // hop-by-hop, routing, destination options
                {
                    if (l4.Length < 8) return null;
                    int len = (l4[1] + 1) * 8;
                    if (l4.Length < len) return null;
                    proto = l4[0];
                    l4 = l4[len..];
                }
                else if (proto == 51) // AH
                {
                    if (l4.Length < 8) return null;
                    int len = (l4[1] + 2) * 4;
                    if (l4.Length < len) return null;
                    proto = l4[0];
                    l4 = l4[len..];
                }
                else if (proto == 44) // fragment
                {
                    return null;
                }
                else
                {
                    break;
                }
            }
        }
        else
        {
            return null;
        }

        if (proto == (int)ProtocolType.Tcp)
        {
            if (l4.Length < 20) return null;
            int dataOffset = (l4[12] >> 4) * 4;
            if (dataOffset < 20 || dataOffset > l4.Length) return null;
            return new DecodedPacket(f.Number, f.TimestampUtc, src, dst, ttl, tc, ProtocolType.Tcp,
                BinaryPrimitives.ReadUInt16BigEndian(l4), BinaryPrimitives.ReadUInt16BigEndian(l4[2..]),
                l4[dataOffset..].ToArray(), BinaryPrimitives.ReadUInt32BigEndian(l4[4..]), l4[13]);
        }

        if (proto == (int)ProtocolType.Udp)
        {
            if (l4.Length < 8) return null;
            int udpLength = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
            int end = udpLength >= 8 ? Math.Min(udpLength, l4.Length) : l4.Length; // 0 = IPv6 jumbogram
            return new DecodedPacket(f.Number, f.TimestampUtc, src, dst, ttl, tc, ProtocolType.Udp,
                BinaryPrimitives.ReadUInt16BigEndian(l4), BinaryPrimitives.ReadUInt16BigEndian(l4[2..]),
                l4[8..end].ToArray(), 0, 0);
        }

        return null;
    }
}
