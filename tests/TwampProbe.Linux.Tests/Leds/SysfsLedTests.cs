using TwampProbe.Linux.Leds;
using Xunit;

namespace TwampProbe.Linux.Tests.Leds;

public sealed class SysfsLedTests : IDisposable
{
    const string LedName = "probe:green:status";
    readonly string _root = Path.Combine(Path.GetTempPath(), $"leds-{Guid.NewGuid():N}");
    readonly string _dir;

    public SysfsLedTests()
    {
        _dir = Path.Combine(_root, "class", "leds", LedName);
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "brightness"), "0\n");
        File.WriteAllText(Path.Combine(_dir, "max_brightness"), "255\n");
        File.WriteAllText(Path.Combine(_dir, "trigger"), "[none] mmc0 heartbeat\n");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Brightness => File.ReadAllText(Path.Combine(_dir, "brightness"));

    [Fact]
    public void WritesMaxBrightnessAndZeroAndDisablesTrigger()
    {
        File.WriteAllText(Path.Combine(_dir, "trigger"), "none mmc0 [heartbeat]\n");
        using var led = new SysfsLed(LedName, sysRoot: _root);
        Assert.Equal("none", File.ReadAllText(Path.Combine(_dir, "trigger")));
        Assert.Equal(LedName, led.Name);
        led.Set(true);
        Assert.Equal("255", Brightness);
        led.Set(false);
        Assert.Equal("0", Brightness);
    }

    /// <summary>
    /// The LED writes through the descriptor it opened, not the path: after the drop from root the file
    /// (root's, mode 644) cannot be opened again. Renamed away here, the same file still gets the writes.
    /// </summary>
    [Fact]
    public void WritesGoThroughTheDescriptorOpenedAtTheStart()
    {
        using var led = new SysfsLed(LedName, sysRoot: _root);
        var moved = Path.Combine(_dir, "brightness.moved");
        File.Move(Path.Combine(_dir, "brightness"), moved);
        led.Set(true);
        Assert.Equal("255", File.ReadAllText(moved));
        led.Set(false);
        Assert.Equal("0", File.ReadAllText(moved));
    }

    [Fact]
    public void ActiveLowInverts()
    {
        using var led = new SysfsLed(LedName, activeLow: true, sysRoot: _root);
        led.Set(true);
        Assert.Equal("0", Brightness);
        led.Set(false);
        Assert.Equal("255", Brightness);
    }

    [Fact]
    public void WorksWithoutTriggerAndMaxBrightness()
    {
        File.Delete(Path.Combine(_dir, "trigger"));
        File.Delete(Path.Combine(_dir, "max_brightness"));
        using var led = new SysfsLed(LedName, sysRoot: _root);
        Assert.False(File.Exists(Path.Combine(_dir, "trigger")));
        led.Set(true);
        Assert.Equal("1", Brightness);
    }

    [Fact]
    public void MissingLedNamesThePath()
    {
        var e = Assert.Throws<FileNotFoundException>(() => new SysfsLed("probe:red:fault", sysRoot: _root));
        string path = Path.Combine(_root, "class", "leds", "probe:red:fault", "brightness");
        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.FileName);
    }

    [Fact]
    public void RejectsNamesWithSlashes()
    {
        Assert.Throws<ArgumentException>(() => new SysfsLed("../x", sysRoot: _root));
    }
}
