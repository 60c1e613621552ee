using System.Globalization;

namespace TwampProbe.Protocol.Keys;

/// <summary>
/// Shared secrets in the format of perfSONAR's pfs files: one <c>identity hex-passphrase</c> per
/// line, blank lines and <c>#</c> comments ignored. The hex text is decoded to the pass-phrase octets
/// (PBKDF2 runs over the decoded octets, not over the hex text). Identities are compared in full
/// (perfSONAR compares only the shorter length — we do not).
/// </summary>
public sealed class KeyFile
{
    readonly Dictionary<string, byte[]> _secrets;

    KeyFile(Dictionary<string, byte[]> secrets) => _secrets = secrets;

    public static KeyFile Empty { get; } = new(new Dictionary<string, byte[]>(StringComparer.Ordinal));

    public int Count => _secrets.Count;
    public IEnumerable<string> Identities => _secrets.Keys;

    public bool TryGetPassphrase(string identity, out byte[] passphrase)
    {
        if (_secrets.TryGetValue(identity, out var p)) { passphrase = p; return true; }
        passphrase = [];
        return false;
    }

    /// <summary>Parses the file text; throws <see cref="KeyFileException"/> naming file:line on the first error.</summary>
    public static KeyFile Parse(string text, string fileName)
    {
        var secrets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new KeyFileException(fileName, lineNumber, "expected 'identity hex-passphrase'");
            var (identity, hex) = (parts[0], parts[1]);
            if (System.Text.Encoding.UTF8.GetByteCount(identity) > 80)
                throw new KeyFileException(fileName, lineNumber, $"identity '{identity}' is longer than the 80-octet KeyID");
            if (hex.Length % 2 != 0 || !hex.All(Uri.IsHexDigit))
                throw new KeyFileException(fileName, lineNumber, $"pass phrase for '{identity}' is not an even number of hex digits");
            var passphrase = Convert.FromHexString(hex);
            if (!secrets.TryAdd(identity, passphrase))
                throw new KeyFileException(fileName, lineNumber, $"identity '{identity}' appears twice");
        }
        return new KeyFile(secrets);
    }

    /// <summary>Formats one line of a pfs file for a pass phrase.</summary>
    public static string FormatLine(string identity, string passphrase) =>
        identity + "\t" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(passphrase)).ToLower(CultureInfo.InvariantCulture);
}

public sealed class KeyFileException(string file, int line, string message) : Exception($"{file}:{line}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
}
