using System.IO.Pipes;
using System.Net.Sockets;
using System.Text;
using TwampProbe.Diagnostics;

namespace TwampProbe.Tests.Diagnostics;

public sealed class ReadinessTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadyAndStoppingReachTheNotifySocket(bool abstractName)
    {
        string name = $"twampprobe-notify-{Environment.ProcessId}-{Guid.NewGuid():N}";
        string path = abstractName ? "\0" + name : Path.Combine(Path.GetTempPath(), name);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.ReceiveTimeout = 5000;
        try
        {
            var warnings = new List<string>();
            using var readiness = Readiness.Create(null, abstractName ? "@" + name : path, warnings.Add);
            readiness.Ready();
            readiness.Stopping();
            var buffer = new byte[512];
            string ready = Encoding.UTF8.GetString(buffer, 0, listener.Receive(buffer));
            string stopping = Encoding.UTF8.GetString(buffer, 0, listener.Receive(buffer));
            Assert.Contains("READY=1", ready.Split('\n'));
            Assert.Contains($"MAINPID={Environment.ProcessId}", ready.Split('\n'));
            Assert.Equal("STOPPING=1", stopping);
            Assert.Empty(warnings);
        }
        finally { if (!abstractName) File.Delete(path); }
    }

    [Fact]
    public void ReadyFdGetsOneLineAndIsClosed()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        int fd = (int)pipe.ClientSafePipeHandle.DangerousGetHandle();
        // Readiness takes over the write end (it closes it): the pipe object must not close it again.
        pipe.ClientSafePipeHandle.SetHandleAsInvalid();
        using (var readiness = Readiness.Create(fd, null, _ => { }))
        {
            readiness.Ready();
            readiness.Ready(); // idempotent: a second call writes nothing more
        }
        using var reader = new StreamReader(pipe);
        Assert.Equal("READY\n", reader.ReadToEnd()); // ReadToEnd returns: the write end was closed
    }

    [Theory]
    [InlineData(1, "0, 1 and 2 are stdin, stdout and stderr")]
    [InlineData(987, "descriptor 987 is not open for writing")]
    public void ReadyFdMustBeAnOpenWritableDescriptorAboveStderr(int fd, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Readiness.Create(fd, null, _ => { }));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ReadOnlyDescriptorIsRefused()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
        int readEnd = (int)pipe.ClientSafePipeHandle.DangerousGetHandle();
        var e = Assert.Throws<ArgumentException>(() => Readiness.Create(readEnd, null, _ => { }));
        Assert.Contains("not open for writing", e.Message);
    }

    [Fact]
    public void WithoutEitherNothingHappens()
    {
        var warnings = new List<string>();
        using var readiness = Readiness.Create(null, null, warnings.Add);
        readiness.Ready();
        readiness.Stopping();
        Assert.Empty(warnings);
    }
}
