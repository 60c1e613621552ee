using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Tests.Control;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Diagnostics;

/// <summary>Log lines never echo raw peer bytes. Test ports: TestPorts.Log.</summary>
public sealed class LogTests
{
    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("a\nFAKE line", @"a\x0aFAKE line")]
    [InlineData("a\r\n2026-12-01T00:00:00.000Z twampprobe[warn]: x", @"a\x0d\x0a2026-12-01T00:00:00.000Z twampprobe[warn]: x")]
    [InlineData("tab\there\u001b[31m", @"tab\x09here\x1b[31m")]
    [InlineData("del\u007f c1\u0085", @"del\x7f c1\x85")]
    [InlineData("bidi\u202eevil\u2028sep", @"bidi\u{202e}evil\u{2028}sep")]
    [InlineData(@"back\slash", @"back\\slash")]
    [InlineData("Grüße 日本", "Grüße 日本")]
    public void SanitizeEscapesControlAndFormatCharacters(string peer, string logged) =>
        Assert.Equal(logged, Log.Sanitize(peer));

    [Fact]
    public void SanitizeCapsTheLength()
    {
        var s = Log.Sanitize(new string('x', 500));
        Assert.Equal(Log.PeerTextLimit + 3, s.Length);
        Assert.EndsWith("...", s);
        Assert.Equal("", Log.Sanitize(null));
    }

    [Fact]
    public void InvalidUtf16FromAPeerIsEscapedNotPassedOn()
    {
        // A lone surrogate (what a lax decoder could leave) must not reach the log as is.
        Assert.Equal(@"a\u{d800}b", Log.Sanitize("a\ud800b"));
        Assert.Equal("😀", Log.Sanitize("😀"));
    }

    [Fact]
    public void AMessageWithANewlineIsStillOneLine()
    {
        var writer = new StringWriter();
        var previous = Log.Writer;
        LogCapture.Gate.Wait();
        Log.Writer = writer;
        try { Log.Warn("first\nsecond"); }
        finally
        {
            Log.Writer = previous;
            LogCapture.Gate.Release();
        }
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("first")).ToArray();
        Assert.Single(lines);
        Assert.EndsWith(@"first\x0asecond", lines[0].TrimEnd('\r'));
    }

    [Fact]
    public async Task KeyIdWithANewlineIsLoggedOnOneLineEscaped()
    {
        const string keyId = "a\nFAKE line";
        var messages = new List<string>();
        using var server = new TestServer(TestPorts.Log.Low, TestPorts.Log.High);
        using (LogCapture.Start(m => { lock (messages) messages.Add(m); }))
        {
            var (stream, run) = server.Connect();
            var greeting = await ControlSetupTests.ReadGreetingAsync(stream);
            await stream.WriteAsync(ControlSetupTests.SecureResponse(greeting, TwampModes.Authenticated, keyId, "whatever"));
            var start = new byte[ServerStart.Size];
            await stream.ReadExactlyAsync(start, TestServer.Timeout());
            Assert.Equal((byte)AcceptCode.Failure, start[15]);
            await run.WaitAsync(TimeSpan.FromSeconds(5));
        }
        string[] about;
        lock (messages) about = messages.Where(m => m.Contains("FAKE")).ToArray();
        var line = Assert.Single(about);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.Contains(@"key=a\x0aFAKE line", line);
        Assert.Contains(@"unknown key identity 'a\x0aFAKE line'", line);
    }
}

/// <summary>Serialises tests that swap the process-wide Log sink/writer.</summary>
static class LogCapture
{
    public static readonly SemaphoreSlim Gate = new(1, 1);

    public static IDisposable Start(Action<string> onMessage)
    {
        Gate.Wait();
        var previous = Log.Sink;
        Log.Sink = (level, message) => { previous?.Invoke(level, message); onMessage(message); };
        return new Restore(previous);
    }

    sealed class Restore(Action<LogLevel, string>? previous) : IDisposable
    {
        public void Dispose()
        {
            Log.Sink = previous;
            Gate.Release();
        }
    }
}
