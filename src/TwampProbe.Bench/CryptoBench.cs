using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Bench;

/// <summary>
/// Per-packet protection cost (microbenchmark, JIT at full optimisation): each of the four TestPacketCrypto operations per mode —
/// the sender protects its packet and verifies the reply, the reflector verifies the sender packet and
/// protects its reply — through the CPU-instruction path and the forced fallback; HMAC-SHA1 of 16 octets
/// from midstates against the BCL's reusable IncrementalHash; and the reflector's measured mode ratios
/// at each load with the goals "auth/enc ≤ 1.10× unauth". Time is the thread's CPU time
/// (CLOCK_THREAD_CPUTIME_ID), the minimum of several rounds: on a shared machine, preemption does not
/// count and the least disturbed round (caches, the sibling hyperthread) is the one reported.
/// </summary>
static partial class CryptoBench
{
    const int Iterations = 20_000, Rounds = 7;
    internal const double Goal = 1.10;
    static readonly IFormatProvider Inv = CultureInfo.InvariantCulture;

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec { public long Sec, Nsec; }

    [LibraryImport("libc")]
    private static partial int clock_gettime(int clock, out Timespec ts);

    const int ClockThreadCpuTime = 3;

    static long ThreadCpuNs()
    {
        clock_gettime(ClockThreadCpuTime, out var ts);
        return ts.Sec * 1_000_000_000 + ts.Nsec;
    }

    /// <summary>
    /// CPU ns per call of <paramref name="op"/>: minimum over rounds, after a warm-up round.
    /// </summary>
    static double Time(Action op)
    {
        for (int i = 0; i < Iterations; i++) op();
        double best = double.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            long t0 = ThreadCpuNs();
            for (int i = 0; i < Iterations; i++) op();
            best = Math.Min(best, (double)(ThreadCpuNs() - t0) / Iterations);
        }
        return Math.Round(best, 1);
    }

    /// <summary>
    /// Runs <see cref="MeasureHere"/> in a child process whose JIT generates code like the Native-AOT
    /// binary's (x86-64-v2: fully optimised at once, no PGO, SSE4.2 without AVX): DOTNET_TieredCompilation=0
    /// and DOTNET_EnableAVX=0. So no figure depends on whether the JIT's background tier-up got CPU time on
    /// a busy machine, and none on AVX code the shipped binary does not contain (upper vector state left
    /// dirty by AVX stores slows OpenSSL's SSE-encoded SHA-NI code down several-fold).
    /// </summary>
    public static JsonObject Measure()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") == "0") return MeasureHere();
        var psi = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath!, [typeof(CryptoBench).Assembly.Location, "--crypto-bench"])
        { UseShellExecute = false, RedirectStandardOutput = true };
        psi.Environment["DOTNET_TieredCompilation"] = "0";
        psi.Environment["DOTNET_EnableAVX"] = "0";
        using var child = System.Diagnostics.Process.Start(psi)!;
        string json = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"crypto bench child exited {child.ExitCode}");
        return JsonNode.Parse(json)!.AsObject();
    }

    static JsonObject MeasureHere()
    {
        TwampProbe.Cli.NativeCrypto.Enable(); // as serve/ping/self-test do
        var o = new JsonObject
        {
            ["implementation"] = CryptoSelfTest.Implementation,
            ["method"] = $"child process, JIT with DOTNET_TieredCompilation=0 DOTNET_EnableAVX=0 (codegen like the x86-64-v2 AOT binary), thread CPU time, min of {Rounds} rounds x {Iterations} calls; verify figures include restoring the packet (copy_ns)",
        };
        foreach (var impl in new[] { CryptoImplementation.Auto, CryptoImplementation.Fallback })
        {
            var modes = new JsonObject { ["implementation"] = CryptoSelfTest.Describe(impl) };
            foreach (var security in new[] { TestSecurity.Authenticated, TestSecurity.Encrypted })
                modes[security == TestSecurity.Authenticated ? "auth" : "enc"] = Mode(security, impl);
            o[impl == CryptoImplementation.Auto ? "hardware" : "fallback"] = modes;
        }

        byte[] key = RandomNumberGenerator.GetBytes(32), data = RandomNumberGenerator.GetBytes(96), mac = new byte[20];
        using var mid = new HmacSha1(key);
        using var midPortable = new HmacSha1(key, CryptoImplementation.Fallback);
        using var bcl = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key);
        o["hmac_sha1_16B_ns"] = new JsonObject
        {
            ["midstate"] = Time(() => mid.Compute(data.AsSpan(0, 16), mac)),
            ["midstate_portable"] = Time(() => midPortable.Compute(data.AsSpan(0, 16), mac)),
            ["bcl_one_shot"] = Time(() => HMACSHA1.HashData(key, data.AsSpan(0, 16), mac)),
            ["bcl_incremental_hash"] = Time(() => { bcl.AppendData(data.AsSpan(0, 16)); bcl.GetHashAndReset(mac); }),
        };
        o["hmac_sha1_96B_ns"] = new JsonObject
        {
            ["midstate"] = Time(() => mid.Compute(data, mac)),
            ["bcl_incremental_hash"] = Time(() => { bcl.AppendData(data); bcl.GetHashAndReset(mac); }),
        };
        byte[] block = new byte[96];
        using var aes = Aes128.Create(key.AsSpan(0, 16));
        using var aesBcl = Aes128.Create(key.AsSpan(0, 16), CryptoImplementation.Fallback);
        o["aes_ns"] = new JsonObject
        {
            ["ecb_16B"] = Time(() => aes.EncryptEcb(block.AsSpan(0, 16))),
            ["cbc_96B"] = Time(() => aes.EncryptCbc(block, block.AsSpan(0, 16))),
            ["fallback_ecb_16B"] = Time(() => aesBcl.EncryptEcb(block.AsSpan(0, 16))),
            ["fallback_cbc_96B"] = Time(() => aesBcl.EncryptCbc(block, block.AsSpan(0, 16))),
        };
        return o;
    }

    static JsonObject Mode(TestSecurity security, CryptoImplementation impl)
    {
        var layout = TestPacketLayout.For(security);
        byte[] aesKey = RandomNumberGenerator.GetBytes(16), hmacKey = RandomNumberGenerator.GetBytes(32);
        using var crypto = new TestPacketCrypto(aesKey, hmacKey, security, impl);
        byte[] senderWire = RandomNumberGenerator.GetBytes(layout.SenderHeader), reflectorWire = RandomNumberGenerator.GetBytes(layout.ReflectorHeader);
        crypto.ProtectSender(senderWire);
        crypto.ProtectReflector(reflectorWire);
        byte[] s = new byte[senderWire.Length], r = new byte[reflectorWire.Length];
        double copy = Time(() => reflectorWire.CopyTo(r, 0));
        double senderProtect = Time(() => crypto.ProtectSender(s));
        double senderVerify = Time(() => { reflectorWire.CopyTo(r, 0); if (!crypto.UnprotectReflector(r)) throw new InvalidOperationException("HMAC"); });
        double reflectorVerify = Time(() => { senderWire.CopyTo(s, 0); if (!crypto.UnprotectSender(s)) throw new InvalidOperationException("HMAC"); });
        double reflectorProtect = Time(() => crypto.ProtectReflector(r));
        return new JsonObject
        {
            ["sender_protect_ns"] = senderProtect,
            ["sender_verify_ns"] = senderVerify,
            ["reflector_verify_ns"] = reflectorVerify,
            ["reflector_protect_ns"] = reflectorProtect,
            ["sender_per_packet_ns"] = Math.Round(senderProtect + senderVerify, 1),
            ["reflector_per_packet_ns"] = Math.Round(reflectorVerify + reflectorProtect, 1),
            ["copy_ns"] = copy,
        };
    }

    /// <summary>
    /// The reflector's measured CPU per packet, auth and enc over unauth at each load (<paramref name="nsPerPacket"/>
    /// reads the bench's points), with the goal rows; beside them the sender's, measured
    /// (<paramref name="senderNsPerPacket"/>: Program.SenderCost), and the older estimate (1 + its protect+verify
    /// cost over the unauthenticated reflector's per-packet cost at that load), kept for comparison.
    /// </summary>
    public static JsonObject Ratios(JsonArray goals, double[] loads, Func<string, double, double> nsPerPacket, Func<string, double, double> senderNsPerPacket, JsonObject measured)
    {
        var rows = new JsonArray();
        var hw = (JsonObject)measured["hardware"]!;
        foreach (var rate in loads)
        {
            double un = nsPerPacket("unauth", rate);
            rows.Add(new JsonObject
            {
                ["requested_pps"] = rate,
                ["unauth_ns_per_packet"] = Math.Round(un, 1),
                ["auth_x_unauth"] = Math.Round(nsPerPacket("auth", rate) / un, 3),
                ["enc_x_unauth"] = Math.Round(nsPerPacket("enc", rate) / un, 3),
                // Beside the goal: against unauthenticated packets of the same 112 octets (the cost of security apart from size).
                ["unauth_112_x_unauth"] = Nullable(nsPerPacket("unauth-112", rate) / un),
                ["auth_x_unauth_same_size"] = Nullable(nsPerPacket("auth", rate) / nsPerPacket("unauth-112", rate)),
                ["enc_x_unauth_same_size"] = Nullable(nsPerPacket("enc", rate) / nsPerPacket("unauth-112", rate)),
                ["sender_auth_x_unauth_estimate"] = Math.Round(1 + (double)hw["auth"]!["sender_per_packet_ns"]! / un, 3),
                ["sender_enc_x_unauth_estimate"] = Math.Round(1 + (double)hw["enc"]!["sender_per_packet_ns"]! / un, 3),
                ["sender_unauth_ns_per_packet"] = Math.Round(senderNsPerPacket("unauth", rate), 1),
                ["sender_auth_x_unauth"] = Math.Round(senderNsPerPacket("auth", rate) / senderNsPerPacket("unauth", rate), 3),
                ["sender_enc_x_unauth"] = Math.Round(senderNsPerPacket("enc", rate) / senderNsPerPacket("unauth", rate), 3),
            });
        }
        foreach (var (mode, key) in new[] { ("auth", "auth_x_unauth"), ("enc", "enc_x_unauth") })
        {
            var xs = rows.Select(r => (double)r!["requested_pps"]!).Zip(rows.Select(r => (double)r![key]!)).ToArray();
            goals.Add(new JsonObject
            {
                ["goal"] = $"{mode} <= 1.10x unauth (reflector CPU/pkt)",
                ["met"] = xs.All(x => x.Second <= Goal),
                ["measured"] = string.Join(", ", xs.Select(x => string.Create(Inv, $"{x.Second:0.00}x @{x.First / 1000:0}k"))) + SameSize(rows, $"{key}_same_size"),
            });
        }
        return new JsonObject { ["reflector_and_sender"] = rows };
    }

    /// <summary>"; 112-octet unauth: 1.02x @10k, …" when the same-size points were measured.</summary>
    static string SameSize(JsonArray rows, string key) =>
        rows.All(r => r![key] is not null)
            ? "; against unauth of the same 112 octets: " + string.Join(", ", rows.Select(r => string.Create(Inv, $"{(double)r![key]!:0.00}x @{(double)r["requested_pps"]! / 1000:0}k")))
            : "";

    static JsonNode? Nullable(double x) => double.IsNaN(x) ? null : Math.Round(x, 3);

    public static string Markdown(JsonObject m)
    {
        var sb = new StringBuilder();
        void L(string s) => sb.AppendLine(s);
        L("");
        L($"### Per-packet protection (in-process microbenchmark, JIT; {(string)m["implementation"]!})");
        L("");
        L("| path | mode | sender protect | sender verify | reflector verify | reflector protect | ns |");
        L("|---|---|---:|---:|---:|---:|---|");
        foreach (var path in new[] { "hardware", "fallback" })
            foreach (var mode in new[] { "auth", "enc" })
            {
                var x = m[path]![mode]!;
                L(string.Create(Inv, $"| {(string)m[path]!["implementation"]!} | {mode} | {(double)x["sender_protect_ns"]!:0} | {(double)x["sender_verify_ns"]!:0} | {(double)x["reflector_verify_ns"]!:0} | {(double)x["reflector_protect_ns"]!:0} | |"));
            }
        var h = m["hmac_sha1_16B_ns"]!;
        L("");
        L(string.Create(Inv, $"HMAC-SHA1 of 16 octets: {(double)h["midstate"]!:0} ns from midstates ({(string)m["implementation"]!}), {(double)h["midstate_portable"]!:0} ns from midstates with the portable SHA-1, {(double)h["bcl_incremental_hash"]!:0} ns through the BCL's reusable IncrementalHash (the code before), {(double)h["bcl_one_shot"]!:0} ns with HMACSHA1.HashData."));
        return sb.ToString();
    }
}
