using System.Diagnostics;
using System.Globalization;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Cli;

/// <summary>
/// <c>twampprobe self-test</c> (diagnostic): runs the per-packet crypto's known-answer checks (NIST SP
/// 800-38A AES-128 ECB/CBC, RFC 2202 HMAC-SHA1, golden-capture test packets) through the code this CPU
/// executes and through the fallbacks, one line per check. Exit 0 when all pass, 1 when any fails —
/// a build or CPU whose AES/SHA-1 instructions misbehave is caught before it measures anything.
/// <c>self-test --timing</c> then prints what each per-packet operation costs in this binary.
/// </summary>
public static class SelfTestCommand
{
    const int Failed = 1;

    public static int Run(string[] args)
    {
        if (args is ["-h" or "--help"]) throw new HelpRequestedException();
        bool timing = args is ["--timing"];
        if (args.Length != 0 && !timing) throw new UsageException($"self-test takes no arguments but --timing ('{args[0]}')");
        Program.RequireCrypto();
        Console.Out.WriteLine($"per-packet crypto: {CryptoSelfTest.Implementation}");
        var results = CryptoSelfTest.Run();
        foreach (var r in results) Console.Out.WriteLine($"{(r.Passed ? "ok  " : "FAIL")} {r.Name}");
        int failed = results.Count(r => !r.Passed);
        Console.Out.WriteLine(failed == 0 ? $"self-test: all {results.Count} checks passed" : $"self-test: {failed} of {results.Count} checks FAILED");
        if (failed == 0 && timing) PrintTiming();
        return failed == 0 ? ExitCode.Ok : Failed;
    }

    /// <summary>
    /// ns per call of each TestPacketCrypto operation, the minimum over many short rounds (a round that
    /// no other process interrupted); verify includes restoring the packet from a copy (~10 ns).
    /// </summary>
    static void PrintTiming()
    {
        using var keys = SessionKeys.CreateRandom();
        byte[] sid = new byte[16];
        foreach (var security in new[] { TestSecurity.Authenticated, TestSecurity.Encrypted })
        {
            var layout = TestPacketLayout.For(security);
            using var crypto = new TestPacketCrypto(keys, sid, security);
            byte[] senderWire = new byte[layout.SenderHeader], reflectorWire = new byte[layout.ReflectorHeader];
            crypto.ProtectSender(senderWire);
            crypto.ProtectReflector(reflectorWire);
            byte[] s = new byte[senderWire.Length], r = new byte[reflectorWire.Length];
            double sp = Time(() => crypto.ProtectSender(s));
            double sv = Time(() => { reflectorWire.CopyTo(r, 0); crypto.UnprotectReflector(r); });
            double rv = Time(() => { senderWire.CopyTo(s, 0); crypto.UnprotectSender(s); });
            double rp = Time(() => crypto.ProtectReflector(r));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"timing {(security == TestSecurity.Authenticated ? "auth" : "enc")}: sender protect {sp:0} ns, verify {sv:0} ns; reflector verify {rv:0} ns, protect {rp:0} ns"));
        }
    }

    static double Time(Action op)
    {
        const int Calls = 2000;
        double best = double.MaxValue;
        for (int round = 0; round < 200; round++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Calls; i++) op();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalNanoseconds / Calls);
        }
        return best;
    }
}
