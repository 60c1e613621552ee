using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Net;

/// <summary>
/// An IPv4 or IPv6 UDP peer as a value (no allocation). The address is stored as 16 bytes;
/// IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d) with <see cref="IsIPv6"/> false.
/// IPv4-mapped IPv6 endpoints (as seen on dual-stack sockets) are normalised to IPv4.
/// </summary>
public readonly struct UdpPeer : IEquatable<UdpPeer>
{
    private readonly ulong _a0; // address bytes 0..7 in memory (network) order
    private readonly ulong _a1; // address bytes 8..15
    private readonly uint _scopeId;
    private readonly ushort _port;
    private readonly bool _isIPv6;

    private UdpPeer(ReadOnlySpan<byte> address16, ushort port, bool isIPv6, uint scopeId)
    {
        _a0 = MemoryMarshal.Read<ulong>(address16);
        _a1 = MemoryMarshal.Read<ulong>(address16[8..]);
        _port = port;
        _isIPv6 = isIPv6;
        _scopeId = isIPv6 ? scopeId : 0;
    }

    /// <summary>True for a (non-mapped) IPv6 peer.</summary>
    public bool IsIPv6 => _isIPv6;

    /// <summary>UDP port (host order).</summary>
    public ushort Port => _port;

    /// <summary>IPv6 scope id (0 for IPv4).</summary>
    public uint ScopeId => _scopeId;

    /// <summary>True for <c>default(UdpPeer)</c> (no address: every real peer, IPv4 included, has a non-zero address).</summary>
    public bool IsUnset => _a0 == 0 && _a1 == 0 && !_isIPv6;

    /// <summary>True for an IPv6 link-local unicast address (fe80::/10), whose scope id names the interface.</summary>
    public bool IsIPv6LinkLocal
    {
        get
        {
            ulong bytes01 = BitConverter.IsLittleEndian ? _a0 : BinaryPrimitives.ReverseEndianness(_a0); // byte 0 lowest
            return _isIPv6 && (bytes01 & 0xc0ff) == 0x80fe;
        }
    }

    /// <summary>Creates a peer from an endpoint (no allocation).</summary>
    public static UdpPeer From(IPEndPoint ep)
    {
        ArgumentNullException.ThrowIfNull(ep);
        Span<byte> raw = stackalloc byte[16];
        Span<byte> a = stackalloc byte[16];
        if (!ep.Address.TryWriteBytes(raw, out int written))
        {
            throw new ArgumentException("Unsupported address.", nameof(ep));
        }

        if (ep.Address.AddressFamily == AddressFamily.InterNetwork && written == 4)
        {
            return FromIPv4(raw[..4], (ushort)ep.Port);
        }

        if (ep.Address.AddressFamily != AddressFamily.InterNetworkV6 || written != 16)
        {
            throw new ArgumentException("Only IPv4 and IPv6 endpoints are supported.", nameof(ep));
        }

        if (IsV4Mapped(raw))
        {
            return FromIPv4(raw[12..16], (ushort)ep.Port);
        }

        raw.CopyTo(a);
        return new UdpPeer(a, (ushort)ep.Port, isIPv6: true, (uint)ep.Address.ScopeId);
    }

    /// <summary>Creates an IPv4 peer from 4 address bytes.</summary>
    public static UdpPeer FromIPv4(ReadOnlySpan<byte> address4, ushort port)
    {
        Span<byte> a = stackalloc byte[16];
        a.Clear();
        a[10] = 0xff;
        a[11] = 0xff;
        address4[..4].CopyTo(a[12..]);
        return new UdpPeer(a, port, isIPv6: false, 0);
    }

    /// <summary>
    /// Creates a peer from 16 address bytes (IPv4-mapped becomes IPv4). The scope id is kept for link-local
    /// addresses only: elsewhere an interface index would make the same address compare unequal.
    /// </summary>
    public static UdpPeer FromIPv6(ReadOnlySpan<byte> address16, ushort port, uint scopeId)
    {
        if (IsV4Mapped(address16))
        {
            return FromIPv4(address16[12..16], port);
        }

        bool linkLocal = address16[0] == 0xfe && (address16[1] & 0xc0) == 0x80;
        return new UdpPeer(address16, port, isIPv6: true, linkLocal ? scopeId : 0);
    }

    /// <summary>Writes the 16-byte (IPv4-mapped for IPv4) address.</summary>
    public void WriteAddress16(Span<byte> destination)
    {
        MemoryMarshal.Write(destination, in _a0);
        MemoryMarshal.Write(destination[8..], in _a1);
    }

    /// <summary>Allocates an <see cref="IPEndPoint"/>; control path only.</summary>
    public IPEndPoint ToEndPoint() => new(ToAddress(), _port);

    /// <summary>Allocates an <see cref="IPAddress"/>; control path only.</summary>
    public IPAddress ToAddress()
    {
        Span<byte> a = stackalloc byte[16];
        WriteAddress16(a);
        return _isIPv6 ? new IPAddress(a, _scopeId) : new IPAddress(a[12..]);
    }

    /// <summary>Same family and address (port ignored).</summary>
    public bool SameAddress(in UdpPeer other)
        => _a0 == other._a0 && _a1 == other._a1 && _isIPv6 == other._isIPv6 && _scopeId == other._scopeId;

    public bool Equals(UdpPeer other) => SameAddress(other) && _port == other._port;

    public override bool Equals(object? obj) => obj is UdpPeer p && Equals(p);

    public override int GetHashCode() => HashCode.Combine(_a0, _a1, _port, _isIPv6, _scopeId);

    public static bool operator ==(UdpPeer left, UdpPeer right) => left.Equals(right);

    public static bool operator !=(UdpPeer left, UdpPeer right) => !left.Equals(right);

    /// <summary>"1.2.3.4:5" or "[::1]:5" (allocates).</summary>
    public override string ToString()
        => _isIPv6 ? $"[{ToAddress()}]:{_port}" : $"{ToAddress()}:{_port}";

    private static ushort NetOrder(ushort v) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(v) : v;

    private static bool IsV4Mapped(ReadOnlySpan<byte> a16)
        => a16[..10].IndexOfAnyExcept((byte)0) < 0 && a16[10] == 0xff && a16[11] == 0xff;

    /// <summary>Parses a kernel sockaddr_in / sockaddr_in6; returns default for other families.</summary>
    internal static unsafe UdpPeer FromSockAddr(byte* sa, uint length)
    {
        ushort family = *(ushort*)sa;
        if (family == LinuxConstants.AF_INET && length >= (uint)sizeof(SockAddrIn))
        {
            var sin = (SockAddrIn*)sa;
            return FromIPv4(new ReadOnlySpan<byte>(&sin->Address, 4), NetOrder(sin->PortBigEndian));
        }

        if (family == LinuxConstants.AF_INET6 && length >= (uint)sizeof(SockAddrIn6))
        {
            var sin6 = (SockAddrIn6*)sa;
            var addr = new ReadOnlySpan<byte>(sin6->Address, 16);
            ushort port = NetOrder(sin6->PortBigEndian);
            if (IsV4Mapped(addr))
            {
                return FromIPv4(addr[12..], port);
            }

            return new UdpPeer(addr, port, isIPv6: true, sin6->ScopeId);
        }

        return default;
    }

    /// <summary>
    /// Writes a sockaddr for a socket of the given family (IPv4 peers become IPv4-mapped on an
    /// IPv6 socket). Returns the sockaddr length. <paramref name="sa"/> must hold 28 bytes.
    /// </summary>
    internal unsafe uint WriteSockAddr(byte* sa, bool ipv6Socket)
    {
        if (!ipv6Socket && !_isIPv6)
        {
            var sin = (SockAddrIn*)sa;
            *sin = default;
            sin->Family = LinuxConstants.AF_INET;
            sin->PortBigEndian = NetOrder(_port);
            ulong a1 = _a1; // address bytes 8..15 in memory order; IPv4 is bytes 12..15
            Buffer.MemoryCopy((byte*)&a1 + 4, &sin->Address, 4, 4);

            return (uint)sizeof(SockAddrIn);
        }

        var sin6 = (SockAddrIn6*)sa;
        *sin6 = default;
        sin6->Family = LinuxConstants.AF_INET6;
        sin6->PortBigEndian = NetOrder(_port);
        *(ulong*)sin6->Address = _a0;
        *(ulong*)(sin6->Address + 8) = _a1;
        sin6->ScopeId = _scopeId;
        return (uint)sizeof(SockAddrIn6);
    }
}
