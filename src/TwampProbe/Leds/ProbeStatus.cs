using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Diagnostics;
using TwampProbe.Linux.Leds;

namespace TwampProbe.Leds;

/// <summary>
/// Drives the status LEDs from the server's state: Booting until the control port listens, then
/// Ready; Active while test packets are reflected (the activity LED flashes); Fault while the clock
/// is unsynchronized or after a start-up failure. A board without LEDs simply has none.
/// </summary>
public sealed class ProbeStatus : IDisposable
{
    readonly object _gate = new();
    StatusLeds? _leds;
    Timer? _timer;
    ServerContext? _ctx;
    long _lastReflected;
    int _quietTicks;

    public ProbeState State { get; private set; } = ProbeState.Booting;

    public ProbeStatus(IReadOnlyList<LedSpec> specs) => Configure(specs);

    IReadOnlyList<LedSpec>? _specs;
    bool _allOpen;

    /// <summary>
    /// (Re)opens the LEDs described by the configuration (SIGHUP changes them). Unchanged lines keep the
    /// LEDs open as they are: after the drop to <c>user NAME</c> they could not be opened again (a
    /// sysfs <c>brightness</c> is root's), and a reload for anything else must not switch them off.
    /// </summary>
    public void Configure(IReadOnlyList<LedSpec> specs)
    {
        lock (_gate)
        {
            // (Unless one of them could not be opened: the reload is also the way to try it again.)
            if (_specs is not null && _allOpen && _specs.SequenceEqual(specs)) return;
            _specs = [.. specs];
            _allOpen = true;
            _leds?.Dispose();
            _leds = null;
            if (specs.Count == 0) { ArmLocked(); return; }
            ILed? Open(LedRole role)
            {
                var spec = specs.FirstOrDefault(s => s.Role == role);
                if (spec is null) return null;
                try { return LedFactory.Create(spec); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
                {
                    _allOpen = false;
                    Log.Warn($"led {role.ToString().ToLowerInvariant()}: {e.Message} — check the 'led' lines in the config");
                    return null;
                }
            }
            _leds = new StatusLeds(Open(LedRole.Status), Open(LedRole.Activity), Open(LedRole.Fault), m => Log.Warn($"led: {m}"))
            {
                State = State,
            };
            _leds.Start();
            ArmLocked();
        }
    }

    /// <summary>Follows the server: called once it listens.</summary>
    public void Watch(ServerContext ctx)
    {
        _ctx = ctx;
        Update();
        lock (_gate) ArmLocked();
    }

    /// <summary>The 250 ms poll runs only while there are LEDs to drive: a board without LEDs (or
    /// with none configured) is not woken for them.</summary>
    void ArmLocked()
    {
        bool want = _ctx is not null && _leds is not null;
        if (want && _timer is null) _timer = new Timer(_ => Update(), null, 250, 250);
        else if (!want && _timer is not null) { _timer.Dispose(); _timer = null; }
    }

    void Update()
    {
        var ctx = _ctx;
        if (ctx is null) return;
        long reflected = ctx.Engine.Reflected;
        bool traffic = reflected != _lastReflected;
        _lastReflected = reflected;
        _quietTicks = traffic ? 0 : _quietTicks + 1;
        var state = !ctx.Clock.Synchronized ? ProbeState.Fault
            : traffic || (_quietTicks < 8 && ctx.ActiveSessions > 0) ? ProbeState.Active
            : ProbeState.Ready;
        Set(state);
        if (traffic) lock (_gate) _leds?.NotifyActivity(reflected);
    }

    public void Set(ProbeState state)
    {
        State = state;
        lock (_gate) if (_leds is not null) _leds.State = state;
    }

    /// <summary>
    /// A start-up failure: light the fault pattern and leave it lit after exit, so the failure is
    /// visible on the box (sysfs/GPIO keep their level).
    /// </summary>
    public void FailAndLeaveLit()
    {
        _timer?.Dispose();
        lock (_gate)
        {
            if (_leds is null) return;
            _leds.State = ProbeState.Fault;
            _leds.Tick(Environment.TickCount64);
            _leds = null; // not disposed: Dispose would switch the LEDs off
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        lock (_gate) _leds?.Dispose();
    }
}
