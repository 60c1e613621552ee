namespace TwampProbe.Cli;

/// <summary>
/// DSCP values by number (0–63) or by their standard names, as <c>twping -D</c> takes them:
/// CS0–CS7 (RFC 2474 §4.2.2), AF11–AF43 (RFC 2597 §6: AFxy = 8x + 2y), EF (RFC 3246: 46),
/// VA / VOICE-ADMIT (RFC 5865: 44), LE (RFC 8622: 1), BE / DF (default forwarding: 0).
/// </summary>
public static class DscpName
{
    public static bool TryParse(string text, out int dscp)
    {
        dscp = -1;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
        {
            if (n is < 0 or > 63) return false;
            dscp = n;
            return true;
        }
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(text[2..], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out n))
        {
            if (n is < 0 or > 63) return false;
            dscp = n;
            return true;
        }
        var name = text.ToUpperInvariant();
        switch (name)
        {
            case "BE" or "DF" or "DEFAULT": dscp = 0; return true;
            case "EF": dscp = 46; return true;
            case "VA" or "VOICE-ADMIT": dscp = 44; return true;
            case "LE": dscp = 1; return true;
        }
        if (name.Length == 3 && name.StartsWith("CS") && name[2] is >= '0' and <= '7')
        {
            dscp = (name[2] - '0') << 3;
            return true;
        }
        if (name.Length == 4 && name.StartsWith("AF") && name[2] is >= '1' and <= '4' && name[3] is >= '1' and <= '3')
        {
            dscp = ((name[2] - '0') << 3) | ((name[3] - '0') << 1);
            return true;
        }
        return false;
    }
}
