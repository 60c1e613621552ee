namespace TwampProbe.Protocol.Crypto;

/// <summary>
/// Which code computes the per-packet AES and HMAC-SHA1. <see cref="Auto"/> uses the CPU's AES and SHA-1
/// instructions where it has them; <see cref="Fallback"/> forces the paths a CPU without them takes
/// (AES through the BCL, SHA-1 in portable C#), so that tests and <c>twampprobe self-test</c> check both
/// on the same machine.
/// </summary>
internal enum CryptoImplementation
{
    Auto,
    Fallback,
}
