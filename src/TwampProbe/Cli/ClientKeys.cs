using TwampProbe.Config;
using TwampProbe.Protocol.Keys;

namespace TwampProbe.Cli;

/// <summary>
/// The key file of <c>ping</c> and <c>owping</c> (-k, pfs format) and the identity in it (-u): local
/// mistakes found before the first packet, as configuration errors in sentences that name the file.
/// </summary>
internal static class ClientKeys
{
    /// <summary>The keys of <paramref name="path"/> (none without -k); the identity, when given, must have one.</summary>
    public static KeyFile Load(string? path, string? identity)
    {
        KeyFile keys = path is null ? KeyFile.Empty : Read(path);
        if (identity is not null && !keys.TryGetPassphrase(identity, out _))
            throw new ConfigException($"{path}: no key for identity '{identity}' in this key file: add a line '{identity} HEX-PASSPHRASE' or check -u");
        return keys;
    }

    /// <summary>Reads the key file, turning what the OS says about it into a sentence that names the file.</summary>
    static KeyFile Read(string path)
    {
        if (Directory.Exists(path)) throw new ConfigException($"{path}: is a directory, not a key file (-k)");
        try
        {
            using var probe = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot read the key file (-k): {ErrorText.Describe(e, path)}");
        }
        return KeyFiles.Load(path, requirePrivate: false);
    }
}
