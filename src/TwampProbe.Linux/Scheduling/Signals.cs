using TwampProbe.Linux.Interop;

namespace TwampProbe.Linux.Scheduling;

/// <summary>Signal dispositions the daemon must own whatever it inherited.</summary>
public static class Signals
{
    /// <summary>
    /// A daemon started under <c>nohup</c> (or by a supervisor that ignores SIGHUP) inherits SIGHUP as
    /// ignored, and the .NET runtime then never delivers it to a PosixSignalRegistration: reload would
    /// silently do nothing. Restores the default disposition, so the registration that follows owns it.
    /// Call before registering the handler.
    /// </summary>
    public static void ReclaimHangup() => SignalCalls.signal(SignalCalls.SIGHUP, SignalCalls.SIG_DFL);
}
