namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// A SHA-1 compression function from outside this library: updates the five-word <paramref name="state"/>
/// with one 64-octet <paramref name="block"/> (FIPS 180-4 §6.1.2). See <see cref="Sha1Acceleration"/>.
/// </summary>
public delegate void Sha1BlockFunction(Span<uint> state, ReadOnlySpan<byte> block);
