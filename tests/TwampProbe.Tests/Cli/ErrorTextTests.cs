using System.Net.Sockets;
using TwampProbe.Cli;
using TwampProbe.Control;

namespace TwampProbe.Tests.Cli;

/// <summary>What the CLI says instead of the BCL's (in Native AOT: stripped) exception messages.</summary>
public sealed class ErrorTextTests
{
    public static TheoryData<Exception, string> Cases => new()
    {
        { new IOException("net_io_readfailure", new SocketException((int)SocketError.ConnectionReset)), "connection reset by the server" },
        { new IOException("net_io_writefailure", new SocketException((int)SocketError.Shutdown)), "the connection was closed" },
        { new SocketException((int)SocketError.ConnectionRefused), "connection refused" },
        { new SocketException((int)SocketError.HostUnreachable), "host unreachable" },
        { new SocketException((int)SocketError.AddressAlreadyInUse), "address already in use" },
        { new EndOfStreamException("IO_EOF_ReadBeyondEOF"), "the server closed the connection" },
        { new ControlConnectionClosedException(), "the server closed the connection" },
        { new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path"), "permission denied" },
        { new DirectoryNotFoundException("IO_PathNotFound_Path"), "no such directory" },
        { new InvalidOperationException("Arg_SomeResource_Key"), "InvalidOperationException" },
        { new InvalidOperationException("a real sentence"), "a real sentence" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CommonExceptionsBecomePlainWords(Exception e, string expected) => Assert.Equal(expected, ErrorText.Describe(e));

    [Fact]
    public void FileErrorsNameTheFile()
    {
        Assert.Equal("permission denied: /etc/x.pfs", ErrorText.Describe(new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path"), "/etc/x.pfs"));
        Assert.Equal("no such file: /nope/x.pfs", ErrorText.Describe(new FileNotFoundException("IO_FileNotFound_FileName"), "/nope/x.pfs"));
        var dir = Path.GetTempPath();
        Assert.Equal($"is a directory, not a file: {dir}", ErrorText.Describe(new UnauthorizedAccessException("x"), dir));
    }

    [Theory]
    [InlineData("net_io_readfailure", true)]
    [InlineData("UnauthorizedAccess_IODenied_Path", true)]
    [InlineData("Connection reset by peer", false)]
    [InlineData("no_underscore_but spaces", false)]
    [InlineData("", false)]
    public void ResourceKeysAreRecognised(string message, bool key) => Assert.Equal(key, ErrorText.LooksLikeResourceKey(message));
}
