using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TwampProbe.Tests.Support;

/// <summary>Network namespaces for the tests that need routes or neighbours of their own (root, as in CI).</summary>
public static class NetNamespaces
{
    const int CLONE_NEWNET = 0x40000000;

    [DllImport("libc", SetLastError = true)]
    static extern int setns(int fd, int nstype);

    /// <summary>Runs a command (e.g. <c>ip -n NS ...</c>); throws with its stderr when it fails.</summary>
    public static void Sh(string command)
    {
        var parts = command.Split(' ', 2);
        using var p = Process.Start(new ProcessStartInfo(parts[0], parts[1]) { RedirectStandardError = true, UseShellExecute = false })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"'{command}' failed ({p.ExitCode}): {err}");
    }

    /// <summary>A fresh namespace <paramref name="prefix"/>+PID with its loopback up (an old one of that name goes first); disposing deletes it.</summary>
    public static Scoped Create(string prefix) => new($"{prefix}{Environment.ProcessId}");

    public sealed class Scoped : IDisposable
    {
        public string Name { get; }

        internal Scoped(string name)
        {
            Name = name;
            try { Sh($"ip netns del {name}"); } catch (InvalidOperationException) { }
            Sh($"ip netns add {name}");
            Sh($"ip -n {name} link set lo up");
        }

        public void Dispose() => Sh($"ip netns del {Name}");
    }

    /// <summary>Moves the calling thread into namespace <paramref name="ns"/>: the sockets it creates then belong there.</summary>
    public static void Enter(string ns)
    {
        using var handle = File.OpenHandle($"/var/run/netns/{ns}");
        if (setns((int)handle.DangerousGetHandle(), CLONE_NEWNET) != 0)
            throw new InvalidOperationException($"setns: errno {Marshal.GetLastPInvokeError()}");
    }
}
