using System.Runtime.Intrinsics.X86;
using TwampProbe.Linux.Crypto;
using TwampProbe.Protocol.Crypto;
using ArmSha1 = System.Runtime.Intrinsics.Arm.Sha1;

namespace TwampProbe.Cli;

/// <summary>
/// Start-up wiring of the per-packet crypto: on a CPU whose SHA-1 instructions .NET cannot reach (x86
/// SHA-NI), the per-packet HMAC-SHA1 uses OpenSSL's compression function (<see cref="OpenSslSha1"/>),
/// about 5× faster than portable C#. ARMv8 SHA1 runs as intrinsics and needs nothing. Called once by
/// the commands that protect test packets, before any session exists.
/// </summary>
public static class NativeCrypto
{
    public static void Enable()
    {
        if (ArmSha1.IsSupported || !OpenSslSha1.IsAvailable) return;
        // CPUID leaf 7, EBX bit 29: the SHA extensions OpenSSL then uses.
        bool shaNi = X86Base.IsSupported && (X86Base.CpuId(7, 0).Ebx & (1 << 29)) != 0;
        Sha1Acceleration.Use(OpenSslSha1.Compress, shaNi ? "OpenSSL SHA1_Transform (SHA-NI)" : "OpenSSL SHA1_Transform");
    }
}
