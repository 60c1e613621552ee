using TwampProbe.Config;
using TwampProbe.Linux.Net;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Sessions;

/// <summary>
/// TWAMP Light (RFC 5357 Appendix I): a stateless reflector with no TWAMP-Control, unauthenticated
/// formats only. "The Session-Reflector MUST copy the Sequence Number of the received packet to the
/// Sequence Number field of the reflected packet." Light is not Standards-Track TWAMP (RFC 8545 §4),
/// so only sources in the allow-list are served.
/// </summary>
public sealed class LightReflector(IReadOnlyList<AddressPrefix> allow)
{
    volatile IReadOnlyList<AddressPrefix> _allow = allow;

    public IReadOnlyList<AddressPrefix> Allow => _allow;

    /// <summary>Replaces the allow-list (SIGHUP); the reflector thread sees the new list at its next packet.</summary>
    public void SetAllow(IReadOnlyList<AddressPrefix> allow) => _allow = allow;

    /// <summary>The one shared session every allowed sender is reflected through.</summary>
    public ReflectorSession Session { get; } = CreateSession();

    static ReflectorSession CreateSession()
    {
        var s = new ReflectorSession
        {
            Sid = new byte[16], Mode = TwampModes.Unauthenticated, Layout = TestPacketLayout.Unauthenticated,
            Sender = default, Dscp = -1, TimeoutNs = 0, PaddingLength = 0, Light = true,
        };
        s.Start(0);
        return s;
    }

    public bool Allows(in UdpPeer peer)
    {
        var allow = _allow;
        if (allow.Count == 0) return false;
        Span<byte> address = stackalloc byte[16];
        peer.WriteAddress16(address);
        for (int i = 0; i < allow.Count; i++) // indexer, not foreach: no enumerator per packet
            if (allow[i].Contains(address)) return true;
        return false;
    }
}
