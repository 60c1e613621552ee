using TwampProbe.Cli;
using TwampProbe.Control;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// owping's sentences when the server refuses a session: what it means and what to change. Against the
/// in-process OWAMP server on loopback.
/// </summary>
public sealed class ClientRefusalTests
{
    [Fact]
    public async Task ARateAboveTheServersBandwidthLimitSaysTheRateAndWhatToChangeNotOnlyTryLater()
    {
        // 1 Mbit/s admitted; -i 0.0001 unauthenticated over IPv4 is (20 + 8 + 14) octets × 8 / 100 µs = 3.36 Mbit/s.
        await using var server = new OwampServerHarness(TestPorts.OwpingClient.Low, l => l with { OwampMaxBandwidth = 1_000_000 });
        var o = OwpingOptions.Parse(["-c", "10", "-i", "0.0001f", $"127.0.0.1:{server.Owamp.Port}"]);
        var e = await Assert.ThrowsAsync<ServerRefusedException>(() => OwpingCommand.RunAsync(o, new StringWriter(), CancellationToken.None));
        Assert.Contains("Accept=5", e.Message);
        Assert.Contains("this session's 3.36 Mbit/s (-i 0.0001, -s 0)", e.Message);
        Assert.Contains("owamp-max-bandwidth", e.Message);
        Assert.Contains("try a longer -i", e.Message);
    }
}
