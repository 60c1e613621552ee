namespace TwampProbe.Protocol.Wire;

/// <summary>
/// The Type-P Descriptor of Request-TW-Session (RFC 4656 §3.5, RFC 5357 §3.5). TWAMP uses the
/// DSCP form: the two top bits are 00 and the next six bits carry the DSCP, i.e. DSCP d is d &lt;&lt; 24.
/// The Session-Reflector MUST send its packets with that DSCP (RFC 5357 §3.5).
/// </summary>
public readonly record struct TypeP(uint Value)
{
    const uint DscpMask = 0x3F00_0000;

    public static TypeP FromDscp(int dscp)
    {
        if ((uint)dscp > 63) throw new ArgumentOutOfRangeException(nameof(dscp), "DSCP is 0..63");
        return new TypeP((uint)dscp << 24);
    }

    /// <summary>Only the DSCP form with nothing outside the DSCP bits is supported; a PHB ID (top bits 01) is not.</summary>
    public bool IsSupported => (Value & ~DscpMask) == 0;

    public int Dscp => (int)((Value & DscpMask) >> 24);
}
