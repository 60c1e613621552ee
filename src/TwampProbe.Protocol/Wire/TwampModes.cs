namespace TwampProbe.Protocol.Wire;

/// <summary>The Modes word of the Server-Greeting / Mode of the Set-Up-Response (RFC 4656 §3.1, RFC 5618 §3.1, RFC 5357 §8 registry).</summary>
[Flags]
public enum TwampModes : uint
{
    None = 0,
    /// <summary>1: no authentication or encryption anywhere.</summary>
    Unauthenticated = 1,
    /// <summary>2: encrypted control; test packets with the first block encrypted (ECB) and an HMAC.</summary>
    Authenticated = 2,
    /// <summary>4: encrypted control; test packets encrypted (CBC) with an HMAC.</summary>
    Encrypted = 4,
    /// <summary>8: RFC 5618 mixed mode: encrypted control, unauthenticated test packets.</summary>
    Mixed = 8,

    /// <summary>256: RFC 7750 DSCP and ECN Monitoring — the reflector reports the DSCP and ECN it received.</summary>
    DscpEcnMonitoring = 256,

    /// <summary>The four base security modes this implementation serves.</summary>
    SecurityModes = Unauthenticated | Authenticated | Encrypted | Mixed,
}

public static class TwampModesExtensions
{
    /// <summary>Control messages after Set-Up-Response are encrypted and carry HMACs (RFC 4656 §3.2, RFC 5618 §3.1).</summary>
    public static bool HasSecureControl(this TwampModes mode) =>
        (mode & (TwampModes.Authenticated | TwampModes.Encrypted | TwampModes.Mixed)) != 0;

    /// <summary>The test-packet format: authenticated/encrypted formats only in modes 2 and 4.</summary>
    /// <summary>Extension bits this implementation negotiates (OR-ed with one security mode).</summary>
    public const TwampModes SupportedExtensions = TwampModes.DscpEcnMonitoring;

    public static TestSecurity TestSecurity(this TwampModes mode) => (mode & TwampModes.SecurityModes) switch
    {
        TwampModes.Authenticated => Wire.TestSecurity.Authenticated,
        TwampModes.Encrypted => Wire.TestSecurity.Encrypted,
        _ => Wire.TestSecurity.Unauthenticated,
    };

    /// <summary>True when exactly one base security mode bit is set (what a Set-Up-Response must carry).</summary>
    public static bool IsSingleSecurityMode(this TwampModes mode)
    {
        var m = (uint)(mode & TwampModes.SecurityModes);
        return m != 0 && (m & (m - 1)) == 0;
    }

    public static bool HasDscpEcnMonitoring(this TwampModes mode) => (mode & TwampModes.DscpEcnMonitoring) != 0;

    public static string Name(this TwampModes mode) => (mode & TwampModes.SecurityModes) switch
    {
        TwampModes.Unauthenticated => "unauth",
        TwampModes.Authenticated => "auth",
        TwampModes.Encrypted => "enc",
        TwampModes.Mixed => "mixed",
        _ => $"0x{(uint)mode:x}",
    };

    /// <summary>Parses "unauth", "auth", "enc"/"encrypted", "mixed" (also "open", "authenticated", the letters O A E M, or a number).</summary>
    public static bool TryParse(string text, out TwampModes mode)
    {
        mode = text.Trim().ToLowerInvariant() switch
        {
            "unauth" or "unauthenticated" or "open" or "o" or "1" => TwampModes.Unauthenticated,
            "auth" or "authenticated" or "a" or "2" => TwampModes.Authenticated,
            "enc" or "encrypted" or "e" or "4" => TwampModes.Encrypted,
            "mixed" or "m" or "8" => TwampModes.Mixed,
            _ => TwampModes.None,
        };
        return mode != TwampModes.None;
    }

    /// <summary>Parses a comma/space separated preference list, most preferred first ("enc,auth,mixed,unauth" or "AEMO").</summary>
    public static bool TryParseList(string text, out TwampModes[] modes, out string? error)
    {
        var items = text.Contains(',') || text.Contains(' ')
            ? text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : text.Length > 1 && text.All(c => "OAEMoaem".Contains(c)) ? text.Select(c => c.ToString()).ToArray() : [text];
        var list = new List<TwampModes>();
        foreach (var item in items)
        {
            if (!TryParse(item, out var m)) { modes = []; error = $"unknown mode '{item}' (use unauth, auth, enc, mixed)"; return false; }
            if (!list.Contains(m)) list.Add(m);
        }
        modes = [.. list];
        error = list.Count == 0 ? "empty mode list" : null;
        return list.Count > 0;
    }
}

/// <summary>Which TWAMP-Test packet format a session uses.</summary>
public enum TestSecurity : byte { Unauthenticated, Authenticated, Encrypted }
