using System.Runtime.ExceptionServices;
using TwampProbe.Linux.Scheduling;

namespace TwampProbe.Linux.Security;

/// <summary>
/// The one thread that keeps the capabilities after dropping root, and runs the operations that
/// need them for everyone else: opening and configuring test sockets (SO_RCVBUFFORCE,
/// SIOCSHWTSTAMP, UDP ports below 1024), SCHED_FIFO for another thread.
/// </summary>
/// <remarks>
/// Linux credentials are per thread. glibc's setuid/setgid/setgroups are applied to every thread
/// of the process, but PR_SET_KEEPCAPS and capset(pid 0) only to the calling one: when
/// <see cref="DropTo"/> runs here, every other thread loses its permitted and effective sets in the
/// same setuid (the kernel clears them on the 0 → non-0 uid change without KEEPCAPS), and threads
/// created later inherit the empty sets of their creators. Only this thread can use the kept
/// capabilities, so a caller blocks while its work item runs here and gets the result or the
/// exception back (with its type and stack). A work item that throws never stops this thread.
/// Work items must be short and synchronous: anything they start (a thread, a timer, thread-pool
/// work) would be created by this thread and inherit its capabilities.
/// </remarks>
public sealed class PrivilegedThread : IDisposable
{
    readonly Queue<WorkItem> _queue = new();
    readonly Thread _thread;
    readonly int _managedId;
    bool _stopping;
    long _failures;

    public PrivilegedThread(string name = "privileged")
    {
        using var started = new ManualResetEventSlim();
        int tid = 0;
        _thread = new Thread(() =>
        {
            tid = ThreadTuning.CurrentThreadId();
            started.Set();
            Loop();
        }) { Name = name, IsBackground = true };
        _thread.Start();
        _managedId = _thread.ManagedThreadId;
        started.Wait();
        ThreadId = tid;
    }

    /// <summary>The kernel thread id (as in /proc/self/task/TID).</summary>
    public int ThreadId { get; }

    /// <summary>Work items that threw (the exception went back to their caller).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>
    /// Drops root for the process (see <see cref="Privileges.DropTo"/>), keeping <paramref name="keep"/>
    /// on this thread only. Throws <see cref="InvalidOperationException"/> with the errno text on failure.
    /// </summary>
    public void DropTo(Account account, Capability keep) => Invoke(() => Privileges.DropTo(account, keep));

    /// <summary>Runs <paramref name="work"/> on this thread and waits for it; rethrows what it threw.</summary>
    public T Invoke<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Environment.CurrentManagedThreadId == _managedId) return work();
        var item = new WorkItem<T>(work);
        Enqueue(item);
        item.Done.Wait();
        item.Done.Dispose();
        item.Error?.Throw();
        return item.Result!;
    }

    /// <summary>Runs <paramref name="work"/> on this thread and waits for it; rethrows what it threw.</summary>
    public void Invoke(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Invoke(() => { work(); return true; });
    }

    void Enqueue(WorkItem item)
    {
        lock (_queue)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _queue.Enqueue(item);
            Monitor.Pulse(_queue);
        }
    }

    void Loop()
    {
        while (true)
        {
            WorkItem item;
            lock (_queue)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_queue);
                if (_queue.Count == 0) return;
                item = _queue.Dequeue();
            }
            // Completion is a plain event set: nothing is queued to the thread pool from here.
            try { item.Run(); }
            catch (Exception e)
            {
                Interlocked.Increment(ref _failures);
                item.Error = ExceptionDispatchInfo.Capture(e);
            }
            finally { item.Done.Set(); }
        }
    }

    /// <summary>Runs what is already queued, then ends the thread; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_queue)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.Pulse(_queue);
        }
        if (Environment.CurrentManagedThreadId != _managedId) _thread.Join(2000);
    }

    abstract class WorkItem
    {
        public readonly ManualResetEventSlim Done = new();
        public ExceptionDispatchInfo? Error;
        public abstract void Run();
    }

    sealed class WorkItem<T>(Func<T> work) : WorkItem
    {
        public T? Result;
        public override void Run() => Result = work();
    }
}
