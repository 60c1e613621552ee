using System.Net.Sockets;
using TwampProbe.Owamp.Test;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Tests.Owamp;
using TwampProbe.Time;

namespace TwampProbe.Tests.Support;

/// <summary>
/// The client-side test set-up the OWAMP server tests share (over <see cref="OwampServerHarness"/>): a
/// Session-Sender for an accepted receive session, a UDP sink for a send session, and asking again
/// while the server answers Accept = 5 (RFC 4656 §3.3) until a release has reached it.
/// </summary>
public static class OwampSessions
{
    static readonly ClockState Clock = new(TimeSpan.Zero);

    /// <summary>
    /// A Session-Sender on an ephemeral loopback port for the session the server accepted
    /// (<paramref name="accept"/>) on <paramref name="client"/>, aimed at its receiver port; it sends
    /// <paramref name="packets"/> of the request's packets when given, else all of them.
    /// </summary>
    public static OwampTestSender SenderFor(OwampTestClient client, RequestSession request, AcceptSession accept, uint? packets = null)
    {
        var spec = OwampServerHarness.Spec(request, accept.Sid, client.Mode, client.Keys);
        var sender = new OwampTestSender(packets is { } n ? spec with { Packets = n } : spec, new IPEndPoint(IPAddress.Loopback, 0), Clock);
        sender.Target(new IPEndPoint(IPAddress.Loopback, accept.Port));
        return sender;
    }

    /// <summary>A UDP socket on an ephemeral loopback port, for the server's test packets (or to send strays from).</summary>
    public static Socket Sink()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    public static ushort Port(this Socket socket) => (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;

    /// <summary>
    /// Asks while the answer is Accept = 5, for up to 3 s: a release (a hang-up, a Stop-Sessions) follows
    /// the engine's thread by up to ~100 ms. Returns the last answer.
    /// </summary>
    public static async Task<AcceptCode> RequestUntilOkAsync(OwampTestClient client, Func<RequestSession> request)
    {
        long deadline = Environment.TickCount64 + 3000;
        while (true)
        {
            var code = (await client.RequestAsync(request())).Accept;
            if (code != AcceptCode.TemporaryResourceLimitation || Environment.TickCount64 >= deadline) return code;
            await Task.Delay(50);
        }
    }
}
