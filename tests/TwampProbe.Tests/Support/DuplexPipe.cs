using System.Threading.Channels;

namespace TwampProbe.Tests.Support;

/// <summary>
/// An in-memory, full-duplex byte stream pair: what one end writes the other reads. Disposing an
/// end makes the other end's reads return 0 (EOF) and its writes throw <see cref="IOException"/>.
/// </summary>
public static class DuplexPipe
{
    public static (DuplexStream A, DuplexStream B) Create()
    {
        var ab = new ByteQueue();
        var ba = new ByteQueue();
        return (new DuplexStream(incoming: ba, outgoing: ab), new DuplexStream(incoming: ab, outgoing: ba));
    }

    /// <summary>One direction: chunks of bytes with asynchronous reads.</summary>
    public sealed class ByteQueue
    {
        readonly Channel<byte[]> _chunks = Channel.CreateUnbounded<byte[]>();
        readonly SemaphoreSlim _readGate = new(1, 1);
        byte[]? _current;
        int _offset;

        public void Write(ReadOnlySpan<byte> data)
        {
            if (data.Length == 0) return;
            if (!_chunks.Writer.TryWrite(data.ToArray())) throw new IOException("pipe closed by the peer");
        }

        public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
        {
            if (buffer.Length == 0) return 0;
            await _readGate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                while (_current is null || _offset == _current.Length)
                {
                    if (!await _chunks.Reader.WaitToReadAsync(ct).ConfigureAwait(false)) return 0;
                    if (_chunks.Reader.TryRead(out _current)) _offset = 0;
                }
                int n = Math.Min(buffer.Length, _current.Length - _offset);
                _current.AsMemory(_offset, n).CopyTo(buffer);
                _offset += n;
                return n;
            }
            finally
            {
                _readGate.Release();
            }
        }

        public void Complete() => _chunks.Writer.TryComplete();
    }

    public sealed class DuplexStream(ByteQueue incoming, ByteQueue outgoing) : Stream
    {
        int _disposed;

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) =>
            incoming.ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            incoming.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            incoming.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(DuplexStream));
            outgoing.Write(buffer);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                outgoing.Complete();
                incoming.Complete();
            }
            base.Dispose(disposing);
        }
    }
}
