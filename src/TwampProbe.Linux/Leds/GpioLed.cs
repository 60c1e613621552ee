using System.Device.Gpio;
using System.Device.Gpio.Drivers;

namespace TwampProbe.Linux.Leds;

/// <summary>
/// An LED on a GPIO line, through System.Device.Gpio. Lit = High (Low when active-low). The line is
/// opened as an output, dark, in the constructor; <see cref="Dispose"/> turns it off and closes it.
/// </summary>
public sealed class GpioLed : ILed
{
    readonly GpioController _controller;
    readonly int _pin;
    readonly PinValue _on, _off;
    bool _disposed;

    /// <summary>Line <paramref name="line"/> of /dev/gpiochip<paramref name="chip"/>, via libgpiod (sysfs GPIO if libgpiod is missing).</summary>
    public GpioLed(int chip, int line, bool activeLow = false, string? name = null)
        : this(CreateDefaultDriver(chip, line, out int pin), pin, activeLow,
               name ?? $"gpiochip{chip} line {line}{(activeLow ? " (active-low)" : "")}")
    {
    }

    /// <summary>Pin <paramref name="pin"/> (in the driver's numbering) of <paramref name="driver"/>, which this LED owns.</summary>
    public GpioLed(GpioDriver driver, int pin, bool activeLow = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(driver);
        Name = name ?? $"gpio pin {pin}";
        _pin = pin;
        (_on, _off) = activeLow ? (PinValue.Low, PinValue.High) : (PinValue.High, PinValue.Low);
        _controller = new GpioController(driver);
        try
        {
            _controller.OpenPin(pin, PinMode.Output, _off);
        }
        catch (Exception e)
        {
            _controller.Dispose();
            throw new IOException($"{Name}: cannot open as output: {e.Message}", e);
        }
    }

    /// <summary>As <see cref="GpioLed(GpioDriver,int,bool,string)"/> with a driver factory (tests pass a fake).</summary>
    public GpioLed(Func<GpioDriver> driverFactory, int pin, bool activeLow = false, string? name = null)
        : this(driverFactory(), pin, activeLow, name)
    {
    }

    public string Name { get; }

    public void Set(bool on)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _controller.Write(_pin, on ? _on : _off);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { _controller.Write(_pin, _off); } catch { }
        try { _controller.ClosePin(_pin); } catch { }
        _controller.Dispose();
    }

    /// <summary>
    /// <see cref="LibGpiodDriver"/> for the chip when libgpiod is installed; otherwise the legacy
    /// <see cref="SysFsDriver"/>, translating the line to a global number via the chip's sysfs base.
    /// </summary>
    public static GpioDriver CreateDefaultDriver(int chip, int line, out int pin, string sysRoot = "/sys")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chip);
        ArgumentOutOfRangeException.ThrowIfNegative(line);
        try
        {
            var driver = new LibGpiodDriver(chip);
            pin = line;
            return driver;
        }
        catch (Exception e) when (IsLibraryMissing(e))
        {
            pin = SysfsBase(chip, sysRoot) + line;
            return new SysFsDriver();
        }
    }

    static bool IsLibraryMissing(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is DllNotFoundException or EntryPointNotFoundException or PlatformNotSupportedException)
                return true;
        return false;
    }

    /// <summary>The global sysfs GPIO number of line 0 of gpiochip<paramref name="chip"/>.</summary>
    static int SysfsBase(int chip, string sysRoot)
    {
        // /sys/bus/gpio/devices/gpiochipN -> .../<device>/gpiochipN; the legacy class entry is .../<device>/gpio/gpiochip<base>/base
        string dev = Path.Combine(sysRoot, "bus", "gpio", "devices", $"gpiochip{chip}");
        if (!Directory.Exists(dev))
            throw new IOException($"gpiochip{chip}: not found ({dev} does not exist; libgpiod is not installed)");
        try
        {
            var target = new DirectoryInfo(dev).ResolveLinkTarget(returnFinalTarget: true) as DirectoryInfo;
            var parent = (target ?? new DirectoryInfo(dev)).Parent;
            string legacy = parent is null ? "" : Path.Combine(parent.FullName, "gpio");
            if (Directory.Exists(legacy))
                foreach (var d in Directory.EnumerateDirectories(legacy, "gpiochip*"))
                    if (int.TryParse(File.ReadAllText(Path.Combine(d, "base")).Trim(), out int b))
                        return b;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        throw new IOException($"gpiochip{chip}: libgpiod is not installed and the kernel has no sysfs GPIO (CONFIG_GPIO_SYSFS) for it");
    }
}
