namespace TwampProbe.Linux.Leds;

/// <summary>
/// Drives the status, activity and fault LEDs from <see cref="State"/> and traffic notifications,
/// following the table on <see cref="LedPattern"/>. Any LED may be null (a board without LEDs
/// works normally). <see cref="Tick"/> computes the outputs for a given time and writes only the
/// LEDs whose level changes, so a steady state causes no writes; <see cref="Start"/> calls it from a
/// <see cref="Timer"/> every <see cref="LedPattern.TickMs"/> ms. The controller owns the LEDs:
/// <see cref="Dispose"/> stops the timer, turns every LED off and disposes it.
/// An LED whose write fails is reported once through <c>onError</c> and then left alone.
/// </summary>
public sealed class StatusLeds : IDisposable
{
    sealed class Slot(ILed? led)
    {
        public ILed? Led = led;
        public bool? Applied;
    }

    readonly Slot _status, _activity, _fault;
    readonly Action<string>? _onError;
    readonly Lock _gate = new();

    // Written from any thread.
    int _state = (int)ProbeState.Booting;
    long _packets;
    long _pulses;

    // Owned by the ticking thread (under _gate).
    bool _ticked;
    ProbeState _shownState;
    long _stateSinceMs;
    long _seenPackets, _seenPulses;
    long _pulseUntilMs = long.MinValue;
    long _nextSampleMs = long.MinValue;
    Timer? _timer;
    bool _disposed;

    public StatusLeds(ILed? status, ILed? activity, ILed? fault, Action<string>? onError = null)
    {
        _status = new Slot(status);
        _activity = new Slot(activity);
        _fault = new Slot(fault);
        _onError = onError;
    }

    /// <summary>True when at least one LED is present.</summary>
    public bool HasLeds => _status.Led is not null || _activity.Led is not null || _fault.Led is not null;

    /// <summary>The state to show; settable from any thread, applied at the next tick.</summary>
    public ProbeState State
    {
        get => (ProbeState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    /// <summary>
    /// Reports a monotonically increasing count of test packets (e.g. packets reflected so far).
    /// Cheap enough to call per packet; a flash happens when the count changed since the last flash.
    /// </summary>
    public void NotifyActivity(long packetCount) => Interlocked.Exchange(ref _packets, packetCount);

    /// <summary>Reports "some test traffic happened" without a counter.</summary>
    public void Pulse() => Interlocked.Increment(ref _pulses);

    /// <summary>Computes and applies the outputs for <paramref name="nowMs"/> (any monotonic millisecond clock).</summary>
    public void Tick(long nowMs)
    {
        lock (_gate) TickLocked(nowMs);
    }

    void TickLocked(long nowMs)
    {
        if (_disposed) return;
        var state = State;
        if (!_ticked || state != _shownState)
        {
            _ticked = true;
            _shownState = state;
            _stateSinceMs = nowMs;
        }

        long packets = Interlocked.Read(ref _packets);
        long pulses = Interlocked.Read(ref _pulses);
        if ((packets != _seenPackets || pulses != _seenPulses) && nowMs >= _nextSampleMs)
        {
            _seenPackets = packets;
            _seenPulses = pulses;
            _pulseUntilMs = nowMs + LedPattern.ActivityPulseMs;
            _nextSampleMs = nowMs + LedPattern.ActivityPeriodMs;
        }
        bool flash = nowMs < _pulseUntilMs;

        long elapsed = nowMs - _stateSinceMs;
        bool statusOn = LedPattern.ForStatus(state).IsOn(elapsed);
        if (flash && _activity.Led is null && state is ProbeState.Ready or ProbeState.Active)
            statusOn = !statusOn; // single-LED board: wink the status LED off for traffic

        Apply(_status, statusOn);
        Apply(_activity, flash);
        Apply(_fault, LedPattern.ForFault(state).IsOn(elapsed));
    }

    void Apply(Slot slot, bool on)
    {
        if (slot.Led is not { } led || slot.Applied == on) return;
        try
        {
            led.Set(on);
            slot.Applied = on;
        }
        catch (Exception e)
        {
            slot.Led = null;
            _onError?.Invoke($"led {led.Name}: {e.Message}; LED disabled");
            try { led.Dispose(); } catch { }
        }
    }

    /// <summary>Starts ticking every <see cref="LedPattern.TickMs"/> ms (no-op without LEDs or if already started).</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_disposed || _timer is not null || !HasLeds) return;
            _timer = new Timer(static s => ((StatusLeds)s!).OnTimer(), this, 0, LedPattern.TickMs);
        }
    }

    void OnTimer()
    {
        // Skip a tick rather than queue timer threads behind a slow write.
        if (!_gate.TryEnter()) return;
        try { TickLocked(Environment.TickCount64); }
        finally { _gate.Exit(); }
    }

    /// <summary>Stops the timer, turns all LEDs off and disposes them.</summary>
    public void Dispose()
    {
        Timer? timer;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            timer = _timer;
            _timer = null;
        }
        timer?.Dispose();
        lock (_gate)
        {
            foreach (var slot in new[] { _status, _activity, _fault })
            {
                if (slot.Led is not { } led) continue;
                slot.Led = null;
                try { led.Set(false); } catch { }
                try { led.Dispose(); } catch { }
            }
        }
    }
}
