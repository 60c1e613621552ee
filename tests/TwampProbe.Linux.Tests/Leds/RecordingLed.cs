using TwampProbe.Linux.Leds;

namespace TwampProbe.Linux.Tests.Leds;

/// <summary>An ILed that records every Set call.</summary>
public sealed class RecordingLed(string name = "fake") : ILed
{
    public string Name { get; } = name;
    public List<bool> Writes { get; } = new();
    public bool IsOn => Writes.Count > 0 && Writes[^1];
    public bool Disposed { get; private set; }
    public bool FailWrites { get; set; }

    public void Set(bool on)
    {
        if (FailWrites) throw new IOException($"{Name}: broken");
        Writes.Add(on);
    }

    public void Dispose() => Disposed = true;
}
