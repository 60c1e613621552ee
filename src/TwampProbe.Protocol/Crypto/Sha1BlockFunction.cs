namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// A SHA-1 compression function from outside this library: updates the five-word <paramref name="state"/>
/// with each 64-octet block of <paramref name="blocks"/> in turn (FIPS 180-4 §6.1.2); the length is a
/// non-zero multiple of 64. One call per hash, not per block, so the state can stay wherever the function
/// keeps it for the whole message. See <see cref="Sha1Acceleration"/>.
/// </summary>
public delegate void Sha1BlockFunction(Span<uint> state, ReadOnlySpan<byte> blocks);
