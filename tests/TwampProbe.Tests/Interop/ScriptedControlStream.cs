namespace TwampProbe.Tests.Interop;

/// <summary>
/// A control connection played from a capture: reads return the server's recorded bytes, but only
/// as far as the script allows for what the client has written so far (a server answers a message
/// only after it has it); writes are recorded. Reading past what the server would have sent by then
/// throws, so a client that reads ahead of the protocol is caught instead of hanging.
/// </summary>
public sealed class ScriptedControlStream : Stream
{
    readonly byte[] _server;
    readonly (int ClientWritten, int ServerAvailable)[] _script;
    readonly MemoryStream _written = new();
    int _readOffset;

    /// <param name="server">The recorded server-to-client stream.</param>
    /// <param name="script">Steps: once the client has written at least ClientWritten octets, the first
    /// ServerAvailable octets of <paramref name="server"/> may be read.</param>
    public ScriptedControlStream(byte[] server, params (int ClientWritten, int ServerAvailable)[] script)
    {
        _server = server;
        _script = script;
    }

    public byte[] Written => _written.ToArray();
    public int ServerOctetsRead => _readOffset;

    int Available()
    {
        int available = 0;
        foreach (var (clientWritten, serverAvailable) in _script)
            if (_written.Length >= clientWritten) available = Math.Max(available, serverAvailable);
        return Math.Min(available, _server.Length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        int available = Available() - _readOffset;
        if (available <= 0)
        {
            if (_readOffset >= _server.Length) return 0; // the server closed after its last message
            throw new InvalidOperationException(
                $"the client reads server octet {_readOffset} after writing only {_written.Length} octets: the server would not have sent it yet");
        }
        int n = Math.Min(available, buffer.Length);
        _server.AsSpan(_readOffset, n).CopyTo(buffer);
        _readOffset += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => _written.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _written.Write(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _written.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
