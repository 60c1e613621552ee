using System.Buffers.Binary;
using TwampProbe.Protocol.Tests.Golden;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Test;

namespace TwampProbe.Fuzz;

/// <summary>
/// Writes the seed corpus, tests/fuzz-corpus/TARGET/seeds/, from the golden captures (perfSONAR
/// twping ↔ twampd, tests/fixtures/captures) and the shipped config and key files. Run once
/// (<c>twampprobe-fuzz seed . tests/fuzz-corpus</c>); the output is committed.
/// </summary>
public static class CorpusSeeds
{
    static readonly (string File, TwampModes Mode)[] Captures =
    [
        ("twamp_O.pcapng", TwampModes.Unauthenticated), ("twamp_dscp46.pcapng", TwampModes.Unauthenticated),
        ("twamp_A.pcapng", TwampModes.Authenticated), ("twamp_E.pcapng", TwampModes.Encrypted), ("twamp_M.pcapng", TwampModes.Mixed),
    ];

    public static void Write(string repository, string root)
    {
        foreach (var (file, mode) in Captures)
        {
            var capture = TwampCapture.Load(Path.GetFullPath(Path.Combine(repository, "tests/fixtures/captures", file)));
            string name = Path.GetFileNameWithoutExtension(file);
            byte[] c2s = capture.ClientToServer, s2c = capture.ServerToClient;

            // twamp_dscp46 holds only the test packets.
            if (c2s.Length >= SetupResponse.Size && s2c.Length >= ServerGreeting.Size + ServerStart.Size)
            {
                // Messages sent in clear in every mode.
                Seed(root, "control", $"{name}-server-greeting", [0, .. s2c.AsSpan(0, ServerGreeting.Size)]);
                Seed(root, "control", $"{name}-setup-response", [1, .. c2s.AsSpan(0, SetupResponse.Size)]);
                Seed(root, "control", $"{name}-server-start", [2, .. s2c.AsSpan(ServerGreeting.Size, ServerStart.Size)]);
                Seed(root, "server", name, c2s);

                if (mode == TwampModes.Unauthenticated)
                {
                    // After set-up: the commands in clear; their bodies are also the server-auth seeds.
                    var bodies = new List<byte>();
                    foreach (var message in Commands(c2s.AsSpan(SetupResponse.Size)))
                    {
                        byte cmd = message[0];
                        if (cmd == (byte)CommandNumber.RequestTwSession) Seed(root, "control", $"{name}-request-tw-session", [3, .. message]);
                        if (cmd == (byte)CommandNumber.StopSessions) Seed(root, "control", $"{name}-stop-sessions", [6, .. message]);
                        bodies.AddRange(message[..^ControlCipher.HmacLength]);
                    }
                    for (byte m = 0; m < 3; m++) Seed(root, "server-auth", $"{name}-mode{m}", [m, .. bodies]);
                    Seed(root, "control", $"{name}-accept-session", [4, .. s2c.AsSpan(ServerGreeting.Size + ServerStart.Size, AcceptSession.Size)]);
                    Seed(root, "control", $"{name}-start-ack", [5, .. s2c.AsSpan(ServerGreeting.Size + ServerStart.Size + AcceptSession.Size, ShortControlMessage.Size)]);
                }
            }

            // Test packets as captured: unauthenticated ones to every unauthenticated destination,
            // secure ones (which fail the HMAC with the rig's keys) to their format's session.
            foreach (var (packet, k) in capture.SenderPackets.Take(2).Select((p, k) => (p.Payload, k)))
            {
                byte[] destinations = mode switch
                {
                    TwampModes.Authenticated => [1], TwampModes.Encrypted => [2],
                    _ => [0, 3, (byte)(ReflectorTarget.Destinations.Length - 1)],
                };
                foreach (var d in destinations)
                    Seed(root, "reflector", $"{name}-{k}-to-{ReflectorTarget.Destinations[d]}", [d, .. packet]);
            }
        }

        // Test packets valid for the rig's secure sessions, so that the fuzzer starts past the HMAC.
        using var keys = ReflectorTarget.Keys();
        for (int d = 0; d < ReflectorTarget.Modes.Length; d++)
        {
            var mode = ReflectorTarget.Modes[d];
            var layout = TestPacketLayout.For(mode);
            var packet = new byte[layout.SenderHeader + 27];
            BinaryPrimitives.WriteUInt32BigEndian(packet, 7);
            NtpTimestamp.FromUnixNanoseconds(1_700_000_000_000_000_000).Write(packet.AsSpan(layout.SenderTimestamp));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(layout.SenderErrorEstimate), 0x8001);
            if (mode.TestSecurity() != TestSecurity.Unauthenticated)
            {
                using var crypto = new TestPacketCrypto(keys, ReflectorTarget.Sid(mode), mode.TestSecurity());
                crypto.ProtectSender(packet);
            }
            Seed(root, "reflector", $"valid-{ReflectorTarget.Destinations[d]}", [(byte)d, .. packet]);
        }

        Copy(repository, root, "config", "rootfs-overlay/etc/twampprobe/twampprobe.conf", "rootfs-overlay");
        foreach (var board in Directory.GetDirectories(Path.Combine(repository, "board")).Order())
            if (File.Exists(Path.Combine(board, "twampprobe.conf")))
                Copy(repository, root, "config", Path.Combine("board", Path.GetFileName(board), "twampprobe.conf"), "board-" + Path.GetFileName(board));
        Copy(repository, root, "keyfile", "rootfs-overlay/etc/twampprobe/twampprobe.pfs.example", "rootfs-overlay-example");
        Copy(repository, root, "keyfile", "tests/fixtures/captures/golden.pfs", "golden");
    }

    /// <summary>Splits a clear command stream: 112 octets after Command Number 5, else 32 (RFC 5357 §3.5-3.8).</summary>
    static List<byte[]> Commands(ReadOnlySpan<byte> stream)
    {
        var list = new List<byte[]>();
        while (stream.Length >= ShortControlMessage.Size)
        {
            int size = stream[0] == (byte)CommandNumber.RequestTwSession ? RequestTwSession.Size : ShortControlMessage.Size;
            if (stream.Length < size) break;
            list.Add(stream[..size].ToArray());
            stream = stream[size..];
        }
        return list;
    }

    static void Seed(string root, string target, string name, ReadOnlySpan<byte> data)
    {
        var dir = Path.Combine(root, target, "seeds");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name), data.ToArray());
    }

    static void Copy(string repository, string root, string target, string relative, string name) =>
        Seed(root, target, name, File.ReadAllBytes(Path.Combine(repository, relative)));
}
