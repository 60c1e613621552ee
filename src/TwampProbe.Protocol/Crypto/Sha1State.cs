using System.Runtime.CompilerServices;

namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// The five SHA-1 state words as a local value (used as a <see cref="Span{T}"/>). Not a stackalloc: a
/// method with a stackalloc gets a stack-protection cookie, and with it copies of its span arguments
/// made through 16-octet reloads of 8-octet stores — a store-forwarding stall on every call.
/// </summary>
[InlineArray(Sha1Compression.StateWords)]
internal struct Sha1State
{
    uint _h0;
}
