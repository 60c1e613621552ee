using System.Runtime.InteropServices;
using TwampProbe.Linux.Interop;
using Tmds.Linux;

namespace TwampProbe.Linux.Security;

/// <summary>The Linux capabilities the daemon may keep after dropping root.</summary>
[Flags]
public enum Capability : uint
{
    None = 0,
    /// <summary>CAP_NET_BIND_SERVICE (10): bind TCP/UDP 862 for sessions that ask for it.</summary>
    NetBindService = 1u << 10,
    /// <summary>CAP_NET_ADMIN (12): SIOCSHWTSTAMP for hardware timestamps, SO_RCVBUFFORCE.</summary>
    NetAdmin = 1u << 12,
    /// <summary>CAP_SYS_NICE (23): SCHED_FIFO and CPU affinity of the data path.</summary>
    SysNice = 1u << 23,
}

/// <summary>A local account from /etc/passwd.</summary>
public sealed record Account(string Name, uint Uid, uint Gid);

/// <summary>
/// Dropping root after the sockets are bound: setgroups/setgid/setuid (Tmds.LibC) with
/// PR_SET_KEEPCAPS, then capset so that only the listed capabilities stay permitted and effective.
/// </summary>
public static class Privileges
{
    public static bool IsRoot => LibC.geteuid() == 0;

    /// <summary>Finds a user in a passwd-format file (the appliance has no NSS beyond files).</summary>
    public static Account? FindUser(string name, string passwdPath = "/etc/passwd")
    {
        if (!File.Exists(passwdPath)) return null;
        foreach (var line in File.ReadLines(passwdPath))
        {
            var f = line.Split(':');
            if (f.Length >= 4 && f[0] == name && uint.TryParse(f[2], out var uid) && uint.TryParse(f[3], out var gid))
                return new Account(f[0], uid, gid);
        }
        return null;
    }

    /// <summary>Becomes <paramref name="account"/> keeping <paramref name="keep"/>. Throws with the errno text on failure.</summary>
    public static unsafe void DropTo(Account account, Capability keep)
    {
        Check(CapabilityCalls.prctl(CapabilityCalls.PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
        CheckLibC(LibC.setgroups(0, null), "setgroups");
        CheckLibC(LibC.setgid(account.Gid), "setgid");
        CheckLibC(LibC.setuid(account.Uid), "setuid");
        var header = new CapabilityCalls.CapHeader { Version = CapabilityCalls.LINUX_CAPABILITY_VERSION_3, Pid = 0 };
        var data = stackalloc CapabilityCalls.CapData[2];
        data[0] = new CapabilityCalls.CapData { Effective = (uint)keep, Permitted = (uint)keep, Inheritable = 0 };
        data[1] = default;
        Check(CapabilityCalls.capset(&header, data), "capset");
        if (LibC.geteuid() == 0 || LibC.getuid() == 0) throw new InvalidOperationException("still root after setuid");
    }

    /// <summary>
    /// Empties the calling thread's effective, permitted and inheritable sets (capset acts on the
    /// calling thread only). Irreversible for that thread; threads it creates later inherit the empty sets.
    /// </summary>
    public static unsafe void ClearCurrentThread()
    {
        var header = new CapabilityCalls.CapHeader { Version = CapabilityCalls.LINUX_CAPABILITY_VERSION_3, Pid = 0 };
        var data = stackalloc CapabilityCalls.CapData[2];
        data[0] = default;
        data[1] = default;
        Check(CapabilityCalls.capset(&header, data), "capset");
    }

    /// <summary>The effective and permitted sets of thread <paramref name="threadId"/> of this process (from /proc/self/task/TID/status).</summary>
    public static (ulong Effective, ulong Permitted) ThreadCapabilities(int threadId)
    {
        ulong eff = 0, prm = 0;
        foreach (var line in File.ReadLines($"/proc/self/task/{threadId}/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal)) eff = Convert.ToUInt64(line[7..].Trim(), 16);
            else if (line.StartsWith("CapPrm:", StringComparison.Ordinal)) prm = Convert.ToUInt64(line[7..].Trim(), 16);
        }
        return (eff, prm);
    }

    /// <summary>The effective capability set of the main thread (from /proc/self/status CapEff; credentials are per thread).</summary>
    public static ulong EffectiveCapabilities()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                return Convert.ToUInt64(line[7..].Trim(), 16);
        return 0;
    }

    static void CheckLibC(int rc, string what)
    {
        if (rc != 0) throw new InvalidOperationException($"{what}: {Marshal.GetPInvokeErrorMessage(LibC.errno)}");
    }

    static void Check(int rc, string what)
    {
        if (rc != 0) throw new InvalidOperationException($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }
}
