using System.Text;
using TwampProbe.Protocol.Keys;

namespace TwampProbe.Fuzz;

/// <summary>pfs key-file text. Documented bad input: <see cref="KeyFileException"/> (names file:line).</summary>
public static class KeyFileTarget
{
    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        try
        {
            var keys = KeyFile.Parse(text, "fuzz.pfs");
            foreach (var identity in keys.Identities)
                if (!keys.TryGetPassphrase(identity, out _))
                    throw new FuzzPropertyException($"identity '{identity}' is listed but has no pass phrase");
        }
        catch (KeyFileException)
        {
        }
    }
}
