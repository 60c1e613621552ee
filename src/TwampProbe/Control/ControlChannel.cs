using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Control;

/// <summary>
/// The byte stream of one TWAMP-Control connection after Set-Up-Response: reads and writes whole
/// messages, encrypting and authenticating them in secure modes (RFC 4656 §3.2/§3.4, RFC 5357 §3.2).
/// Transport-agnostic (any <see cref="Stream"/>), so the state machines are testable in memory.
/// </summary>
public sealed class ControlChannel(Stream stream) : IDisposable
{
    public Stream Stream { get; } = stream;
    public ControlCipher Send { get; private set; } = ControlCipher.None();
    public ControlCipher Receive { get; private set; } = ControlCipher.None();

    /// <summary>Switches both directions to the session keys once the Token is accepted.</summary>
    public void Secure(SessionKeys keys, ReadOnlySpan<byte> sendIv, ReadOnlySpan<byte> receiveIv)
    {
        Send.Dispose();
        Receive.Dispose();
        Send = ControlCipher.Create(keys, sendIv);
        Receive = ControlCipher.Create(keys, receiveIv);
    }

    public async Task ReadExactAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try
        {
            await Stream.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new ControlConnectionClosedException();
        }
    }

    /// <summary>Reads whole blocks and decrypts them (continuing the CBC chain); adds them to the running HMAC.</summary>
    public async Task ReadBlocksAsync(Memory<byte> buffer, CancellationToken ct)
    {
        await ReadExactAsync(buffer, ct).ConfigureAwait(false);
        Receive.Decrypt(buffer.Span);
        Receive.Authenticate(buffer.Span);
    }

    /// <summary>Reads the 16-octet HMAC block that ends a message and checks it. A bad HMAC ends the connection.</summary>
    public async Task ReadAndVerifyHmacAsync(string message, CancellationToken ct)
    {
        var hmac = new byte[ControlCipher.HmacLength];
        await ReadExactAsync(hmac, ct).ConfigureAwait(false);
        Receive.Decrypt(hmac);
        // RFC 4656 §3.2: a message whose HMAC does not verify invalidates the control connection.
        if (!Receive.VerifyHmac(hmac))
            throw new ControlProtocolException($"{message}: HMAC does not verify (wrong key or tampering)");
    }

    /// <summary>Writes a message whose last 16 octets are its HMAC field.</summary>
    public async Task WriteWithHmacAsync(byte[] message, CancellationToken ct)
    {
        Send.SealWithHmac(message);
        await Stream.WriteAsync(message, ct).ConfigureAwait(false);
        await Stream.FlushAsync(ct).ConfigureAwait(false);
    }

    public async Task WriteClearAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await Stream.WriteAsync(data, ct).ConfigureAwait(false);
        await Stream.FlushAsync(ct).ConfigureAwait(false);
    }

    public void Dispose()
    {
        Send.Dispose();
        Receive.Dispose();
        Stream.Dispose();
    }
}

/// <summary>The peer closed the control connection.</summary>
public sealed class ControlConnectionClosedException() : Exception("control connection closed by the peer");
