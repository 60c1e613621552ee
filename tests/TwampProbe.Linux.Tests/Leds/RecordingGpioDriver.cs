using System.Device.Gpio;

namespace TwampProbe.Linux.Tests.Leds;

/// <summary>A GpioDriver that records what GpioController asks of it.</summary>
public sealed class RecordingGpioDriver : GpioDriver
{
    readonly Dictionary<int, PinMode> _modes = new();
    readonly Dictionary<int, PinValue> _values = new();

    public List<(int Pin, PinValue Value)> Writes { get; } = new();
    public List<int> Opened { get; } = new();
    public List<int> Closed { get; } = new();
    public bool Disposed { get; private set; }

    protected override int PinCount => 64;

    protected override void OpenPin(int pinNumber) => Opened.Add(pinNumber);

    protected override void ClosePin(int pinNumber) => Closed.Add(pinNumber);

    protected override void SetPinMode(int pinNumber, PinMode mode) => _modes[pinNumber] = mode;

    protected override PinMode GetPinMode(int pinNumber) => _modes.GetValueOrDefault(pinNumber, PinMode.Input);

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber) => _values.GetValueOrDefault(pinNumber, PinValue.Low);

    protected override void Write(int pinNumber, PinValue value)
    {
        _values[pinNumber] = value;
        Writes.Add((pinNumber, value));
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        new() { EventTypes = PinEventTypes.None, TimedOut = true };

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) { }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) { }

    public override GpioChipInfo GetChipInfo() => new(0, "recording", "test", PinCount);

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
