using System.Net;
using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Time;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Fuzz;

/// <summary>
/// The reflector's per-packet path (validation, in-place reply, protection) through the public API
/// of <see cref="ReflectorEngine"/> on real loopback UDP, without touching the engine's code: one
/// engine per process with one started session per test-packet format and a TWAMP Light socket.
/// Byte 0 picks the destination (<see cref="Destinations"/>), the rest is the UDP payload. Bad test
/// packets are dropped and counted (STYLE: never thrown), so every input must end as exactly one
/// more reflected or dropped packet; an input that does neither within the deadline is a hang, and an
/// exception on the reflector thread ends the process.
/// </summary>
public static class ReflectorTarget
{
    /// <summary>The largest UDP payload over IPv4.</summary>
    public const int MaxDatagram = 65507;
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    static readonly Lazy<Rig> Shared = new(() => new Rig(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Session formats, in the order byte 0 selects them (modulo the count).</summary>
    public static readonly string[] Destinations = ["unauth", "auth", "enc", "unauth-dscpecn", "auth-dscpecn", "light"];

    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        var rig = Shared.Value;
        lock (rig) rig.Reflect(input[0] % Destinations.Length, input.AsSpan(1, Math.Min(input.Length - 1, MaxDatagram)));
    }

    /// <summary>The fixed control keys the rig's secure sessions derive their test keys from (for seeds).</summary>
    public static SessionKeys Keys() =>
        new(Enumerable.Range(1, SessionKeys.AesKeyLength).Select(i => (byte)i).ToArray(),
            Enumerable.Range(1, SessionKeys.HmacKeyLength).Select(i => (byte)(i * 7)).ToArray());

    /// <summary>The SID of the rig's session in <paramref name="mode"/>.</summary>
    public static byte[] Sid(TwampModes mode)
    {
        var sid = new byte[16];
        BitConverter.TryWriteBytes(sid, (uint)mode);
        return sid;
    }

    /// <summary>The session mode behind each destination but Light (the last).</summary>
    public static readonly TwampModes[] Modes =
    [
        TwampModes.Unauthenticated, TwampModes.Authenticated, TwampModes.Encrypted,
        TwampModes.Unauthenticated | TwampModes.DscpEcnMonitoring, TwampModes.Authenticated | TwampModes.DscpEcnMonitoring,
    ];

    sealed class Rig
    {
        readonly ClockState _clock = new(TimeSpan.Zero);
        readonly ReflectorEngine _engine;
        readonly Socket _sender = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        readonly IPEndPoint[] _targets;
        readonly byte[] _reply = new byte[MaxDatagram];

        public Rig()
        {
            _engine = new ReflectorEngine(_clock, new ReflectorOptions { SocketBufferBytes = 1 << 20 });
            _sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _sender.ReceiveBufferSize = 1 << 20;
            var sender = UdpPeer.From((IPEndPoint)_sender.LocalEndPoint!);
            var keys = Keys();
            _targets =
            [
                .. Modes.Select(m => Open(sender, m, keys)),
                _engine.Open(new IPEndPoint(IPAddress.Loopback, 0), new LightReflector([AddressPrefix.Parse("127.0.0.0/8")])).LocalEndPoint,
            ];
        }

        IPEndPoint Open(UdpPeer sender, TwampModes mode, SessionKeys keys)
        {
            var sid = Sid(mode);
            var security = mode.TestSecurity();
            var session = new ReflectorSession
            {
                Sid = sid,
                Mode = mode,
                Layout = TestPacketLayout.For(mode),
                Crypto = security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(keys, sid, security),
                Sender = sender,
                Dscp = 46,
                TimeoutNs = 0,
                PaddingLength = 0,
            };
            var socket = _engine.Open(new IPEndPoint(IPAddress.Loopback, 0));
            if (!socket.TryAdd(session)) throw new InvalidOperationException("fuzz rig: session not added");
            session.Start(RealtimeClock.UnixNanoseconds());
            return socket.LocalEndPoint;
        }

        long Handled() => _engine.Reflected + _engine.Dropped.Sum();

        public void Reflect(int destination, ReadOnlySpan<byte> payload)
        {
            long before = Handled();
            _sender.SendTo(payload, SocketFlags.None, _targets[destination]);
            long deadline = Environment.TickCount64 + (long)Deadline.TotalMilliseconds;
            var spin = new SpinWait();
            while (Handled() == before)
            {
                if (Environment.TickCount64 > deadline)
                    throw new TimeoutException($"the reflector neither reflected nor dropped a {payload.Length}-octet packet to {Destinations[destination]}");
                spin.SpinOnce();
            }
            while (_sender.Available > 0) _sender.Receive(_reply);
        }
    }
}
