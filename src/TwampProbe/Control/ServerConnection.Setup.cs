using System.Security.Cryptography;
using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Control;

public sealed partial class ServerConnection
{
    /// <summary>
    /// Server-Greeting → Set-Up-Response → Server-Start (RFC 4656 §3.1, RFC 5357 §3.1).
    /// Returns false when the connection is to be closed after Server-Start.
    /// </summary>
    async Task<bool> SetupAsync(CancellationToken ct)
    {
        var settings = _ctx.Settings;
        var offered = OfferedModesFor(settings);
        var challenge = RandomNumberGenerator.GetBytes(16);
        var salt = RandomNumberGenerator.GetBytes(16);
        var greeting = new ServerGreeting(offered, challenge, salt, settings.Count);
        var buffer = new byte[SetupResponse.Size];
        greeting.Write(buffer);
        await _channel.WriteClearAsync(buffer.AsMemory(0, ServerGreeting.Size), ct).ConfigureAwait(false);
        if (offered == TwampModes.None)
        {
            // RFC 4656 §3.1: Modes 0 means the server will not talk to this client; it MAY close.
            _outcome = "refused: client not allowed in any mode";
            _saidSomething = true; // a policy decision worth a line, not a scan
            Interlocked.Increment(ref _ctx.Counters.ConnectionsRefused);
            return false;
        }

        await _channel.ReadExactAsync(buffer, ct).ConfigureAwait(false);
        _saidSomething = true;
        Touch();
        var response = SetupResponse.Parse(buffer);
        var mode = response.Mode;
        if (mode == TwampModes.None)
        {
            // RFC 4656 §3.1: Mode 0 — the client does not wish to continue; both sides close.
            _outcome = "client declined every offered mode (Mode 0)";
            return false;
        }
        var extensions = mode & ~TwampModes.SecurityModes;
        if (!mode.IsSingleSecurityMode() || (mode & offered & TwampModes.SecurityModes) == 0 || (extensions & ~offered) != 0)
        {
            // A mode the greeting did not offer (or several, or an extension we do not do).
            await SendServerStartAsync(AcceptCode.NotSupported, ct).ConfigureAwait(false);
            _outcome = $"refused: mode 0x{(uint)mode:x} was not offered (offered 0x{(uint)offered:x})";
            Interlocked.Increment(ref _ctx.Counters.SetupFailures);
            return false;
        }
        _mode = mode;

        if (mode.HasSecureControl())
        {
            _identity = Log.Sanitize(response.KeyId); // peer text: logged, so escaped and capped
            byte[] passphrase = [];
            bool known = response.KeyIdIsUtf8 && settings.Keys.TryGetPassphrase(response.KeyId, out passphrase);
            if (!known) passphrase = "\0unknown-identity\0"u8.ToArray();
            // Decrypt even for an unknown identity so that timing does not tell which identities exist.
            // PBKDF2 is the costliest thing a stranger can make us do: at most one derivation per core
            // but one runs at a time, so a flood of set-ups cannot take the reflector's CPU.
            await _ctx.KeyDerivations.WaitAsync(ct).ConfigureAwait(false);
            byte[] key;
            try { key = SharedSecret.DeriveKey(passphrase, salt, settings.Count); }
            finally { _ctx.KeyDerivations.Release(); }
            var keys = Token.Open(key, response.Token, challenge);
            CryptographicOperations.ZeroMemory(key);
            if (!known || keys is null)
            {
                keys?.Dispose();
                await SendServerStartAsync(AcceptCode.Failure, ct).ConfigureAwait(false);
                _outcome = known ? $"refused: wrong shared secret for '{_identity}' (Accept=1)"
                                 : $"refused: unknown key identity '{_identity}' (Accept=1)";
                Interlocked.Increment(ref _ctx.Counters.SetupFailures);
                return false;
            }
            _keys = keys;
            var serverIv = RandomNumberGenerator.GetBytes(16);
            await SendServerStartAsync(AcceptCode.Ok, ct, serverIv, response.ClientIv).ConfigureAwait(false);
        }
        else
        {
            await SendServerStartAsync(AcceptCode.Ok, ct).ConfigureAwait(false);
        }
        Interlocked.Increment(ref _ctx.Counters.Connections);
        Log.Debug($"control {_remote}: set up in mode {mode.Name()}");
        return true;
    }

    /// <summary>The modes this client may use (the command set's modes, per-mode allow-lists); 0 when none.</summary>
    TwampModes OfferedModesFor(Config.ServerSettings settings)
    {
        var offered = settings.OfferedModes & _commands.SupportedModes;
        foreach (var (mode, prefixes) in settings.Limits.AllowedClients)
            if (prefixes.Count > 0 && !prefixes.Any(p => p.Contains(_remote.Address)))
                offered &= ~mode;
        // Extension bits alone are no offer: Modes = 0 when no security mode is left.
        return (offered & TwampModes.SecurityModes) == 0 ? TwampModes.None : offered;
    }

    /// <summary>
    /// Server-Start. In secure modes octets 32-47 (Start-Time, MBZ) are the first block of the
    /// server's CBC stream (IV = Server-IV) and are covered by the next server HMAC (RFC 5357 §3.2).
    /// On rejection everything goes in clear with Start-Time zero.
    /// </summary>
    async Task SendServerStartAsync(AcceptCode accept, CancellationToken ct, byte[]? serverIv = null, byte[]? clientIv = null)
    {
        var start = new ServerStart(accept, serverIv ?? new byte[16], accept == AcceptCode.Ok ? _ctx.StartTime : default);
        var bytes = new byte[ServerStart.Size];
        start.Write(bytes);
        if (serverIv is not null && clientIv is not null && _keys is not null)
        {
            _channel.Secure(_keys, serverIv, clientIv);
            var tail = bytes.AsSpan(ServerStart.ClearPrefix);
            _channel.Send.Authenticate(tail);
            _channel.Send.Encrypt(tail);
        }
        await _channel.WriteClearAsync(bytes, ct).ConfigureAwait(false);
    }
}
