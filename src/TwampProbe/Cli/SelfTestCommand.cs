using TwampProbe.Protocol.Crypto;

namespace TwampProbe.Cli;

/// <summary>
/// <c>twampprobe self-test</c> (diagnostic): runs the per-packet crypto's known-answer checks (NIST SP
/// 800-38A AES-128 ECB/CBC, RFC 2202 HMAC-SHA1, golden-capture test packets) through the code this CPU
/// executes and through the fallbacks, one line per check. Exit 0 when all pass, 1 when any fails —
/// a build or CPU whose AES/SHA-1 instructions misbehave is caught before it measures anything.
/// </summary>
public static class SelfTestCommand
{
    const int Failed = 1;

    public static int Run(string[] args)
    {
        if (args.Length != 0) throw new UsageException($"self-test takes no arguments ('{args[0]}')");
        Console.Out.WriteLine($"per-packet crypto: {CryptoSelfTest.Implementation}");
        var results = CryptoSelfTest.Run();
        foreach (var r in results) Console.Out.WriteLine($"{(r.Passed ? "ok  " : "FAIL")} {r.Name}");
        int failed = results.Count(r => !r.Passed);
        Console.Out.WriteLine(failed == 0 ? $"self-test: all {results.Count} checks passed" : $"self-test: {failed} of {results.Count} checks FAILED");
        return failed == 0 ? ExitCode.Ok : Failed;
    }
}
