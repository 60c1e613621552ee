using System.Text;

namespace TwampProbe.Linux.Leds;

/// <summary>
/// An LED of the kernel LED class: <c>&lt;root&gt;/class/leds/&lt;name&gt;/brightness</c>. Lit = the value of
/// <c>max_brightness</c> (1 if that file is missing), dark = 0; inverted when active-low. A
/// <c>trigger</c> file, when present, is set to "none" first so the kernel stops driving the LED.
/// <para><c>brightness</c> is opened once, here, and written through that descriptor: the daemon opens its
/// LEDs as root and then drops to <c>user NAME</c>, and the file (root's, mode 644) could not be opened
/// again after that. Each write is a whole value at offset 0 (sysfs takes one value per write), after
/// truncating (a no-op on sysfs; a test tree's regular file then holds just the value).</para>
/// </summary>
public sealed class SysfsLed : ILed
{
    readonly byte[] _onValue, _offValue;
    readonly Microsoft.Win32.SafeHandles.SafeFileHandle _brightness;

    /// <param name="ledName">Directory name under <c>class/leds</c>, e.g. "probe:green:status".</param>
    /// <param name="activeLow">Writes 0 for lit and max_brightness for dark.</param>
    /// <param name="sysRoot">The sysfs mount point ("/sys"); tests pass a temporary tree.</param>
    /// <param name="name">Display name (default: the LED name).</param>
    /// <exception cref="FileNotFoundException">The LED does not exist; the message names the brightness path.</exception>
    /// <exception cref="IOException">The trigger or max_brightness file cannot be used; the message names the path.</exception>
    public SysfsLed(string ledName, bool activeLow = false, string sysRoot = "/sys", string? name = null)
    {
        if (string.IsNullOrEmpty(ledName) || ledName.Contains('/') || ledName is "." or "..")
            throw new ArgumentException($"'{ledName}' is not an LED name", nameof(ledName));
        Name = name ?? ledName;
        string dir = Path.Combine(sysRoot, "class", "leds", ledName);
        BrightnessPath = Path.Combine(dir, "brightness");
        if (!File.Exists(BrightnessPath))
            throw new FileNotFoundException($"{BrightnessPath}: not found", BrightnessPath);

        string max = "1";
        string maxPath = Path.Combine(dir, "max_brightness");
        if (File.Exists(maxPath))
        {
            string text = Guard(maxPath, () => File.ReadAllText(maxPath)).Trim();
            if (!int.TryParse(text, out int m) || m <= 0)
                throw new IOException($"{maxPath}: unexpected content '{text}'");
            max = m.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        byte[] lit = Encoding.ASCII.GetBytes(max), dark = "0"u8.ToArray();
        (_onValue, _offValue) = activeLow ? (dark, lit) : (lit, dark);

        string trigger = Path.Combine(dir, "trigger");
        if (File.Exists(trigger))
            WriteFile(trigger, "none"u8.ToArray());
        _brightness = Guard(BrightnessPath, () => File.OpenHandle(BrightnessPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite));
    }

    public string Name { get; }

    /// <summary>The file written by <see cref="Set"/>.</summary>
    public string BrightnessPath { get; }

    public void Set(bool on) => Guard(BrightnessPath, () =>
    {
        var value = on ? _onValue : _offValue;
        RandomAccess.SetLength(_brightness, 0);
        RandomAccess.Write(_brightness, value, fileOffset: 0);
        return 0;
    });

    /// <summary>One write() like <c>echo v &gt; file</c>; never creates the file.</summary>
    static void WriteFile(string path, byte[] value) => Guard(path, () =>
    {
        using var fs = new FileStream(path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        fs.Write(value);
        return 0;
    });

    static T Guard<T>(string path, Func<T> action)
    {
        try { return action(); }
        catch (FileNotFoundException e) { throw new FileNotFoundException($"{path}: not found", path, e); }
        catch (DirectoryNotFoundException e) { throw new FileNotFoundException($"{path}: not found", path, e); }
        catch (UnauthorizedAccessException e) { throw new IOException($"{path}: permission denied", e); }
        catch (IOException e) { throw new IOException($"{path}: {e.Message}", e); }
    }

    public void Dispose() => _brightness.Dispose();
}
