namespace TwampProbe.Cli;

/// <summary>A small getopt-style reader: short flags with a value (-c 10, -c10), long flags (--json, --port=5).</summary>
public sealed class ArgReader(string[] args)
{
    int _i;
    public readonly List<string> Positional = [];

    public bool Next(out string flag)
    {
        while (_i < args.Length)
        {
            var a = args[_i++];
            if (a == "--") { Positional.AddRange(args[_i..]); _i = args.Length; break; }
            if (a.StartsWith("--") && a.Contains('='))
            {
                int eq = a.IndexOf('=');
                _pending = a[(eq + 1)..];
                flag = a[..eq];
                return true;
            }
            if (a.StartsWith("--")) { flag = a; return true; }
            if (a.StartsWith('-') && a.Length > 2 && !char.IsDigit(a[1])) { flag = a[..2]; _pending = a[2..]; return true; }
            if (a.StartsWith('-') && a.Length == 2) { flag = a; return true; }
            Positional.Add(a);
        }
        flag = "";
        return false;
    }

    string? _pending;

    public string Value(string flag)
    {
        if (_pending is { } p) { _pending = null; return p; }
        if (_i >= args.Length) throw new UsageException($"{flag} needs a value");
        return args[_i++];
    }

    public int Int(string flag, int min, int max)
    {
        var v = Value(flag);
        if (!int.TryParse(v, out int n) || n < min || n > max) throw new UsageException($"{flag}: '{v}' is not a whole number in {min}..{max}");
        return n;
    }

    public double Double(string flag, double min, double max)
    {
        var v = Value(flag);
        if (!double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d) || d < min || d > max)
            throw new UsageException($"{flag}: '{v}' is not a number in {min}..{max}");
        return d;
    }

    public void NoValue(string flag)
    {
        if (_pending is { Length: > 0 }) throw new UsageException($"{flag} takes no value");
        _pending = null;
    }
}
