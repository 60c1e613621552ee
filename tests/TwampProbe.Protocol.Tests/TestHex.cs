namespace TwampProbe.Protocol.Tests;

/// <summary>Hex helpers for test vectors (spaces ignored, lower-case output).</summary>
internal static class TestHex
{
    public static byte[] B(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string H(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
