using System.Text;
using TwampProbe.Config;

namespace TwampProbe.Fuzz;

/// <summary>twampprobe.conf text. Documented bad input: <see cref="ConfigException"/> (names file:line).</summary>
public static class ConfigFileTarget
{
    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        try
        {
            _ = ConfigFile.Parse(text, "/etc/twampprobe/fuzz.conf");
        }
        catch (ConfigException)
        {
        }
    }
}
