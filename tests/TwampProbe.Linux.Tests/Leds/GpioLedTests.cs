using System.Device.Gpio;
using TwampProbe.Linux.Leds;
using Xunit;

namespace TwampProbe.Linux.Tests.Leds;

public sealed class GpioLedTests
{
    [Fact]
    public void WritesHighForOnAndLowForOff()
    {
        var driver = new RecordingGpioDriver();
        using (var led = new GpioLed(driver, 17))
        {
            Assert.Equal([17], driver.Opened);
            Assert.Equal((17, PinValue.Low), driver.Writes[^1]); // opened dark
            driver.Writes.Clear();
            led.Set(true);
            led.Set(false);
            Assert.Equal([(17, PinValue.High), (17, PinValue.Low)], driver.Writes);
        }
        Assert.Equal([17], driver.Closed);
        Assert.True(driver.Disposed);
    }

    [Fact]
    public void ActiveLowInverts()
    {
        var driver = new RecordingGpioDriver();
        using (var led = new GpioLed(() => driver, 4, activeLow: true, name: "status"))
        {
            Assert.Equal("status", led.Name);
            Assert.Equal((4, PinValue.High), driver.Writes[^1]); // opened dark = High
            driver.Writes.Clear();
            led.Set(true);
            led.Set(false);
            Assert.Equal([(4, PinValue.Low), (4, PinValue.High)], driver.Writes);
        }
        Assert.Equal((4, PinValue.High), driver.Writes[^1]); // left dark on dispose
        Assert.Equal([4], driver.Closed);
    }

    [Fact]
    public void SetAfterDisposeThrows()
    {
        var led = new GpioLed(new RecordingGpioDriver(), 1);
        led.Dispose();
        led.Dispose();
        Assert.Throws<ObjectDisposedException>(() => led.Set(true));
    }
}
