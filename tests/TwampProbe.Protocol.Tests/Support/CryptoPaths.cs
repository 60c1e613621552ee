namespace TwampProbe.Protocol.Tests.Support;

/// <summary>
/// The two protected test-packet modes (RFC 4656 §4.1.2, RFC 5357 §4.2.1) on each implementation of
/// the per-packet crypto: the CPU-instruction path (<see cref="CryptoImplementation.Auto"/>) and the fallback.
/// </summary>
internal static class CryptoPaths
{
    /// <summary>(security, fallback) for a theory: every protected mode on both paths.</summary>
    public static TheoryData<TestSecurity, bool> ProtectedModesOnBothPaths => new()
    {
        { TestSecurity.Authenticated, false },
        { TestSecurity.Authenticated, true },
        { TestSecurity.Encrypted, false },
        { TestSecurity.Encrypted, true },
    };

    public static CryptoImplementation Implementation(bool fallback) => fallback ? CryptoImplementation.Fallback : CryptoImplementation.Auto;
}
