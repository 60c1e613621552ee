using System.Globalization;

namespace TwampProbe.Bench;

/// <summary>CPU time and memory of other processes, from /proc.</summary>
static class ProcStat
{
    static readonly double TickNs = 1e9 / 100; // USER_HZ

    /// <summary>CPU time of one thread in ns: schedstat (ns resolution) if present, else utime+stime ticks.</summary>
    public static long ThreadCpuNs(int pid, int tid)
    {
        try
        {
            var s = File.ReadAllText($"/proc/{pid}/task/{tid}/schedstat").Split(' ');
            return long.Parse(s[0], CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        return StatTicks($"/proc/{pid}/task/{tid}/stat");
    }

    static long StatTicks(string path)
    {
        var text = File.ReadAllText(path);
        var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // fields after the comm: state is f[0]; utime = field 14 → f[11], stime = f[12]
        return (long)((long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) * TickNs);
    }

    /// <summary>CPU ns of every thread of the process, by tid, with the thread names.</summary>
    public static Dictionary<int, (string Name, long Ns)> Threads(int pid)
    {
        var d = new Dictionary<int, (string, long)>();
        foreach (var dir in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                int tid = int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture);
                var name = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                d[tid] = (name, ThreadCpuNs(pid, tid));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return d;
    }

    /// <summary>Busy time of one CPU in ns from /proc/stat (everything but idle and iowait, softirq included).</summary>
    public static long CpuBusyNs(int cpu)
    {
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (!line.StartsWith($"cpu{cpu} ", StringComparison.Ordinal)) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long total = 0;
            for (int i = 1; i <= 8 && i < f.Length; i++) total += long.Parse(f[i], CultureInfo.InvariantCulture);
            long idle = long.Parse(f[4], CultureInfo.InvariantCulture) + long.Parse(f[5], CultureInfo.InvariantCulture);
            return (long)((total - idle) * TickNs);
        }
        return 0;
    }

    /// <summary>
    /// Steal time of the whole machine in ns from /proc/stat (the "cpu" line's 8th value): time the hypervisor ran
    /// something else while a vCPU of this guest wanted to run. The bench's noise, reported beside each point.
    /// </summary>
    public static long StealNs()
    {
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal)) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return f.Length > 8 ? (long)(long.Parse(f[8], CultureInfo.InvariantCulture) * TickNs) : 0;
        }
        return 0;
    }

    /// <summary>A /proc/PID/status field in kB (VmRSS, VmHWM).</summary>
    public static long StatusKb(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return -1;
    }
}

/// <summary>CPU used by a process between two points: the named thread (or the busiest one), the whole process, and a core.</summary>
sealed class CpuWindow
{
    readonly int _pid;
    readonly string? _thread;
    readonly int _core;
    Dictionary<int, (string Name, long Ns)> _before = [];
    long _coreBefore, _wallBefore, _stealBefore;

    /// <summary>Steal time of the machine between <see cref="Start"/> and <see cref="Stop"/> (ns, 10 ms resolution).</summary>
    public long StealNs { get; private set; }

    public CpuWindow(int pid, string? thread, int core) { _pid = pid; _thread = thread; _core = core; }

    public void Start()
    {
        _before = ProcStat.Threads(_pid);
        _coreBefore = ProcStat.CpuBusyNs(_core);
        _stealBefore = ProcStat.StealNs();
        _wallBefore = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>(thread ns, process ns, core busy ns, wall ns, thread name used)</summary>
    public (long Thread, long Process, long Core, long Wall, string Name) Stop()
    {
        var after = ProcStat.Threads(_pid);
        long core = ProcStat.CpuBusyNs(_core) - _coreBefore;
        StealNs = ProcStat.StealNs() - _stealBefore;
        long wall = (long)System.Diagnostics.Stopwatch.GetElapsedTime(_wallBefore).TotalNanoseconds;
        long process = 0, best = -1;
        string name = "?";
        var deltas = new List<(string Name, long Ns)>();
        foreach (var (tid, (n, ns)) in after)
        {
            long d = ns - (_before.TryGetValue(tid, out var b) ? b.Ns : 0);
            process += d;
            deltas.Add((n, d));
        }
        var named = deltas.Where(x => x.Name == _thread).ToList();
        foreach (var (n, d) in named.Count > 0 ? named : deltas)
            if (d > best) { best = d; name = n; }
        return (best, process, core, wall, name);
    }
}
