using System.Net;
using System.Net.Sockets;

namespace TwampProbe.Config;

/// <summary>An address prefix ("192.0.2.0/24", "2001:db8::/32", a bare address = host). IPv4 is kept IPv4-mapped.</summary>
public sealed class AddressPrefix
{
    readonly byte[] _address16;
    public int Bits { get; }
    /// <summary>Prefix length within the 128-bit IPv4-mapped space.</summary>
    readonly int _bits128;
    readonly string _text;
    /// <summary>The prefix lies in the IPv4(-mapped) space: it matches IPv4 addresses only, and they only it.</summary>
    readonly bool _ipv4Space;

    AddressPrefix(byte[] address16, int bits, int bits128, string text)
    {
        _ipv4Space = bits128 >= 96 && IsV4Mapped(address16);
        _address16 = address16;
        Bits = bits;
        _bits128 = bits128;
        _text = text;
    }

    public static bool TryParse(string text, out AddressPrefix prefix, out string? error)
    {
        prefix = null!;
        var parts = text.Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0], out var address))
        {
            error = $"'{text}' is not an address or prefix (e.g. 192.0.2.0/24, 2001:db8::/32)";
            return false;
        }
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        int max = v4 ? 32 : 128;
        int bits = max;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out bits) || bits < 0 || bits > max))
        {
            error = $"'{text}': prefix length must be 0..{max}";
            return false;
        }
        var a16 = address.MapToIPv6().GetAddressBytes();
        prefix = new AddressPrefix(a16, bits, v4 ? 96 + bits : bits, text);
        error = null;
        return true;
    }

    public static AddressPrefix Parse(string text) =>
        TryParse(text, out var p, out var e) ? p : throw new FormatException(e);

    /// <summary>Matches a 16-octet (IPv4-mapped for IPv4) address without allocating.</summary>
    public bool Contains(ReadOnlySpan<byte> address16)
    {
        // ::/0 must not admit every IPv4 client just because IPv4 is kept IPv4-mapped.
        if (IsV4Mapped(address16) != _ipv4Space) return false;
        int full = _bits128 / 8, rest = _bits128 % 8;
        if (!address16[..full].SequenceEqual(_address16.AsSpan(0, full))) return false;
        if (rest == 0) return true;
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (address16[full] & mask) == (_address16[full] & mask);
    }

    static bool IsV4Mapped(ReadOnlySpan<byte> a) => a[..10].IndexOfAnyExcept((byte)0) < 0 && a[10] == 0xff && a[11] == 0xff;

    public bool Contains(IPAddress address) => Contains(address.MapToIPv6().GetAddressBytes());

    public override string ToString() => _text;
}
