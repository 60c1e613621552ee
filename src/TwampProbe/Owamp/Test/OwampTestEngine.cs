using System.Net;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Security;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire;

namespace TwampProbe.Owamp.Test;

/// <summary>
/// What the two OWAMP-Test engines (<see cref="OwampTestSender"/>, <see cref="OwampTestReceiver"/>) do
/// alike with a session: open its test socket, derive its test keys, say when it is complete.
/// </summary>
internal static class OwampTestEngine
{
    /// <summary>Binds the test socket, through <paramref name="privileged"/> when given (a port below 1024 after the drop from root, e.g. UDP 861).</summary>
    public static UdpTestSocket Bind(IPEndPoint local, UdpSocketOptions options, PrivilegedThread? privileged) =>
        privileged is { } p ? p.Invoke(() => UdpTestSocket.Bind(local, options)) : UdpTestSocket.Bind(local, options);

    /// <summary>The session's test-packet crypto (modes 2 and 4, keyed by its SID); null in unauthenticated mode.</summary>
    public static TestPacketCrypto? Crypto(OwampTestSpec spec) =>
        spec.Security == TestSecurity.Unauthenticated ? null : new TestPacketCrypto(spec.Keys!, spec.Sid, spec.Security);

    /// <summary>
    /// When the session is complete: "Timeout after the scheduled time for the last sequence number"
    /// (RFC 4656 §3.8), Unix ns. <paramref name="lastOffset"/>: the schedule's offset of packet
    /// Number of Packets − 1 (0 without packets: Timeout after Start Time).
    /// </summary>
    public static long CompleteUnixNanoseconds(OwampTestSpec spec, ulong lastOffset) =>
        Schedule.SendTime(spec.StartTime, lastOffset).ToUnixNanoseconds() + spec.TimeoutNanoseconds;
}
