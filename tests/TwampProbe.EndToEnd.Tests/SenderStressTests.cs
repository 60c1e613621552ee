using System.Text.Json;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// The published client at 10 000 packets/s in the protected modes, several runs in a row, against
/// <c>twampprobe serve</c>: the send and receive threads each protect/verify packets at full rate.
/// Sharing one HMAC/AES instance between them aborted the client (exit 134, Cryptography_ConcurrentUseNotSupported).
/// </summary>
[Collection(Collections.Alone)]
public sealed class SenderStressTests : IDisposable
{
    const int Count = 3000, Iterations = 4;
    readonly TempDir _dir = new();
    readonly ServerProcess _server;
    readonly string _keys;
    readonly int _light;

    public SenderStressTests()
    {
        _keys = Binary.WriteKeyFile(_dir.Path, "alice", "correct horse battery staple");
        var (lo, hi) = Binary.PortRange();
        _light = hi;
        _server = new ServerProcess($"--keyfile {_keys} --test-ports {lo}-{hi - 1} --light-listen 127.0.0.1:{_light}");
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("auth")]
    [InlineData("enc")]
    public void TenThousandPacketsPerSecondInProtectedModeExitCleanlyWithoutLoss(string mode)
    {
        for (int i = 0; i < Iterations; i++)
        {
            var r = Binary.Run($"ping -c {Count} -i 0.0001 -L 1 -m {mode} -u alice -k {_keys} --json {_server.Endpoint}");
            Assert.True(r.ExitCode == 0, $"run {i}: exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
            var j = JsonDocument.Parse(r.Stdout).RootElement;
            Assert.Equal(mode, j.GetProperty("mode").GetString());
            Assert.Equal(Count, j.GetProperty("packets_sent").GetInt32());
            Assert.Equal(0, j.GetProperty("invalid").GetInt32());
            int received = j.GetProperty("packets_received").GetInt32();
            Assert.True(received >= Count * 99 / 100, $"run {i}: {received} of {Count} received\n{r.Stdout}");
        }
    }

    [Fact]
    public void LightReportNamesTheRealLocalAddress()
    {
        var r = Binary.Run($"ping --light -c 5 -i 0.01 -L 0.5 --json 127.0.0.1:{_light}");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.StartsWith("127.0.0.1:", j.GetProperty("sender").GetString());
        Assert.True(j.GetProperty("reflector_conforming").GetBoolean());
        var text = Binary.Run($"ping --light -c 5 -i 0.01 -L 0.5 127.0.0.1:{_light}");
        Assert.Matches(@"--- twampprobe statistics from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+ ---", text.Stdout);
    }
}
