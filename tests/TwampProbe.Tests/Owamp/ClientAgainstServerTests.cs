using TwampProbe.Cli;
using TwampProbe.Control;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// <c>owping</c> (<see cref="OwpingCommand.RunAsync"/>) against the in-process OWAMP server on loopback: what it
/// says while it runs and when the server refuses a session (what it means and what to change).
/// </summary>
public sealed class ClientAgainstServerTests
{
    [Fact]
    public async Task SaysAsOwpingDoesHowLongUntilTheResultsOnTheProgressWriterOnly()
    {
        // Start 1 s after the request, 10 packets 10 ms apart (last at +90 ms), loss threshold 0.3 s, 50 ms margin: ~1.4 s.
        await using var server = new OwampServerHarness(TestPorts.OwpingClient.Low);
        var o = OwpingOptions.Parse(["-c", "10", "-i", "0.01f", "-L", "0.3", $"127.0.0.1:{server.Owamp.Port}"]);
        var output = new StringWriter();
        var progress = new StringWriter();
        Assert.Equal(ExitCode.Ok, await OwpingCommand.RunAsync(o, output, CancellationToken.None, progress));
        var m = System.Text.RegularExpressions.Regex.Match(progress.ToString(), @"^Approximately (\d+\.\d) seconds until results available\n$");
        Assert.True(m.Success, progress.ToString());
        Assert.InRange(double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1.1, 1.5);
        Assert.DoesNotContain("Approximately", output.ToString());
        Assert.Contains("10 sent, 10 received", output.ToString());
    }

    [Fact]
    public async Task ARateAboveTheServersBandwidthLimitSaysTheRateAndWhatToChangeNotOnlyTryLater()
    {
        // 1 Mbit/s admitted; -i 0.0001 unauthenticated over IPv4 is (20 + 8 + 14) octets × 8 / 100 µs = 3.36 Mbit/s
        // (100 000 packets: more than a second of them).
        await using var server = new OwampServerHarness(TestPorts.OwpingClient.Low, l => l with { OwampMaxBandwidth = 1_000_000 });
        var o = OwpingOptions.Parse(["-c", "100000", "-i", "0.0001f", $"127.0.0.1:{server.Owamp.Port}"]);
        var e = await Assert.ThrowsAsync<ServerRefusedException>(() => OwpingCommand.RunAsync(o, new StringWriter(), CancellationToken.None));
        Assert.Contains("Accept=5", e.Message);
        Assert.Contains("this session's 3.36 Mbit/s (-c 100000, -i 0.0001, -s 0)", e.Message);
        Assert.Contains("owamp-max-bandwidth", e.Message);
        Assert.Contains("try a longer -i", e.Message);
    }
}
