using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace TwampProbe.Linux.Tests;

/// <summary>
/// A network namespace made by the test (needs root, as in CI) with its loopback up. Sockets are made in
/// it by a thread that setns() into it (CLONE_NEWNET applies to the calling thread only); once made, a
/// socket stays in its namespace whichever thread uses it.
/// </summary>
internal sealed partial class NetNamespace : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;
    private static int s_next;

    public NetNamespace(params string[] commands)
    {
        Assert.True(Environment.UserName == "root", "network namespaces need root (CI runs as root)");
        Name = $"tpl{Environment.ProcessId % 10000}x{Interlocked.Increment(ref s_next)}";
        Ip($"netns del {Name}", check: false);
        Ip($"netns add {Name}");
        Ip($"-n {Name} link set lo up");
        foreach (string c in commands)
        {
            Ip($"-n {Name} {c}");
        }
    }

    public string Name { get; }

    /// <summary>Runs <paramref name="create"/> on a thread inside the namespace.</summary>
    public T Create<T>(Func<T> create)
    {
        T? result = default;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle($"/run/netns/{Name}");
                if (setns((int)ns.DangerousGetHandle(), CLONE_NEWNET) != 0)
                {
                    throw new InvalidOperationException($"setns({Name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = create();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw new InvalidOperationException($"in namespace {Name}: {error.Message}", error);
        }

        return result!;
    }

    /// <summary>The ifindex of an interface in this namespace.</summary>
    public int IfIndex(string ifName)
    {
        string line = Ip($"-n {Name} -o link show dev {ifName}");
        return int.Parse(line[..line.IndexOf(':')], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => Ip($"netns del {Name}", check: false);

    /// <summary>Runs ip(8) with these arguments; returns its output.</summary>
    public static string Ip(string args, bool check = true)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (check)
        {
            Assert.True(p.ExitCode == 0, $"ip {args} failed ({p.ExitCode}): {stderr}");
        }

        return stdout;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
