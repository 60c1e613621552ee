using System.Diagnostics;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// A capture of our own unauthenticated and mixed-mode sessions, decoded by tshark's independent
/// TWAMP dissectors: every control message and test packet, zero malformed. (tshark cannot judge
/// encrypted control frames, so mixed mode is judged on its test packets; the golden-capture
/// tests cover the encrypted paths byte for byte.)
/// </summary>
public sealed class TsharkDissectorTests
{
    static string Tshark(string args)
    {
        var r = Binary.RunFile("tshark", args, 60_000);
        Assert.True(r.ExitCode == 0, $"tshark {args}: {r.Stderr}");
        return r.Stdout;
    }

    [Fact]
    public async Task OwnSessionsDecodeWithoutMalformedPackets()
    {
        Assert.True(File.Exists("/usr/bin/tshark"), "tshark is missing: 'make test' installs it");
        using var dir = new TempDir();
        var keys = Binary.WriteKeyFile(dir.Path, "alice", "mixed-secret");
        var (lo, hi) = Binary.PortRange(10);
        using var server = new ServerProcess($"--keyfile {keys} --test-ports {lo}-{hi}");
        var pcap = dir.File("own.pcapng");
        var capture = Process.Start(new ProcessStartInfo("tshark",
            $"-i lo -f \"tcp port {server.ControlPort} or udp portrange {lo}-{hi}\" -w {pcap} -a duration:30")
        { RedirectStandardError = true, UseShellExecute = false })!;
        var started = new TaskCompletionSource();
        capture.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("Capturing on") == true) started.TrySetResult(); };
        capture.BeginErrorReadLine();
        Assert.Same(started.Task, await Task.WhenAny(started.Task, Task.Delay(20_000)));
        Thread.Sleep(500);

        Assert.Equal(0, Binary.Run($"ping -c 10 -i 0.01 -L 0.5 -P {lo} {server.Endpoint}").ExitCode);
        Assert.Equal(0, Binary.Run($"ping -c 10 -i 0.01 -L 0.5 -P {lo + 1} -m mixed -u alice -k {keys} {server.Endpoint}").ExitCode);
        Thread.Sleep(1500);
        Binary.Signal(capture, Binary.SIGINT);
        Assert.True(capture.WaitForExit(10_000));

        var decode = $"-r {pcap} -d tcp.port=={server.ControlPort},twamp.control -d udp.port=={lo},twamp.test -d udp.port=={lo + 1},twamp.test";
        // Unauthenticated control connection: the first TCP stream.
        var control = Tshark($"{decode} -Y \"tcp.stream==0 && twamp.control\" -T fields -e _ws.col.Info");
        foreach (var message in new[] { "Server Greeting", "Setup Response", "Server Start", "Request Session", "Accept Session", "Start Sessions", "Start Sessions ACK", "Stop Session" })
            Assert.Contains(message, control);
        Assert.Equal("", Tshark($"{decode} -Y \"tcp.stream==0 && _ws.malformed\""));

        foreach (int port in new[] { lo, lo + 1 })
        {
            var test = Tshark($"{decode} -Y \"udp.port=={port} && twamp.test\" -T fields -e twamp.test.seq_number");
            Assert.Equal(20, test.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Equal("", Tshark($"{decode} -Y \"udp.port=={port} && _ws.malformed\""));
        }
    }
}
