using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary><c>serve</c> with OWAMP-Control beside TWAMP (RFC 4656 §3.1, RFC 8545 §7): server-side checks only.</summary>
public sealed class OwampServeTests
{
    static uint GreetingModes(int port)
    {
        using var tcp = new TcpClient();
        tcp.Connect(IPAddress.Loopback, port);
        var greeting = new byte[64];
        tcp.GetStream().ReadExactly(greeting);
        return BinaryPrimitives.ReadUInt32BigEndian(greeting.AsSpan(12));
    }

    [Fact]
    public void ServeAnswersAnOwampGreetingWithModes124BesideTwamp()
    {
        using var dir = new TempDir();
        var keys = Binary.WriteKeyFile(dir.Path, "bob", "owamp-secret");
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--keyfile {keys} --test-ports {lo}-{hi}");
        Assert.Contains($"OWAMP-Control on TCP 127.0.0.1:{server.OwampPort}", server.LogText);
        Assert.Equal(7u, GreetingModes(server.OwampPort));
        // TWAMP's greeting still offers mixed mode and RFC 7750 (256).
        Assert.Equal(15u | 256u, GreetingModes(server.ControlPort));
    }

    [Fact]
    public void NoOwampLeavesOnlyTwamp()
    {
        var (lo, hi) = Binary.PortRange(10);
        int owamp = Binary.FreeTcpPort();
        using var server = new ServerProcess($"--test-ports {lo}-{hi} --owamp-listen 127.0.0.1:{owamp} --no-owamp");
        Assert.DoesNotContain("OWAMP-Control on", server.LogText);
        using var tcp = new TcpClient();
        Assert.Throws<SocketException>(() => tcp.Connect(IPAddress.Loopback, owamp));
    }
}
