using System.Net.Sockets;

namespace TwampProbe.Tests.Support;

/// <summary>
/// A control server that takes one connection, writes a script (twampd's or owampd's own bytes from a
/// golden capture, cut short) and then only reads: overloaded, hung, or not the protocol's server.
/// Real sockets on loopback.
/// </summary>
public static class HungServer
{
    /// <summary>Listens on a free loopback port; the octets of <paramref name="script"/> from <paramref name="lateFrom"/>
    /// on are written only after <paramref name="late"/>.</summary>
    public static (TcpListener Listener, Task Serving) Start(byte[] script, int lateFrom = int.MaxValue, TimeSpan late = default)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync();
            var stream = peer.GetStream();
            int now = Math.Min(lateFrom, script.Length);
            await stream.WriteAsync(script.AsMemory(0, now));
            if (now < script.Length)
            {
                await Task.Delay(late);
                await stream.WriteAsync(script.AsMemory(now));
            }
            var sink = new byte[4096];
            try { while (await stream.ReadAsync(sink) > 0) { } } catch (IOException) { }
        });
        return (listener, serving);
    }
}
