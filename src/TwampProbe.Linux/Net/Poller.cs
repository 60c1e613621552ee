using System.Runtime.InteropServices;
using TwampProbe.Linux.Interop;
using static TwampProbe.Linux.Interop.LinuxConstants;

namespace TwampProbe.Linux.Net;

/// <summary>
/// epoll over many descriptors plus an eventfd to wake it: one reflector thread serving many sockets.
/// Level-triggered EPOLLIN (EPOLLERR is always reported, e.g. when TX timestamps are queued).
/// Token <see cref="ulong.MaxValue"/> is reserved for the wake eventfd.
/// </summary>
public sealed unsafe class Poller : IDisposable
{
    /// <summary>Reserved token of the internal eventfd.</summary>
    public const ulong WakeToken = ulong.MaxValue;

    private const int MaxEvents = 256;

    private readonly SafeFileDescriptor _epoll;
    private readonly SafeFileDescriptor _eventFd;
    private readonly NativeMemoryHandle _events;

    public Poller()
    {
        int ep = PollCalls.epoll_create1(EPOLL_CLOEXEC);
        if (ep < 0)
        {
            throw SocketErrors.Create(Marshal.GetLastPInvokeError(), "epoll_create1");
        }

        _epoll = new SafeFileDescriptor(ep);
        int efd = PollCalls.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (efd < 0)
        {
            int err = Marshal.GetLastPInvokeError();
            _epoll.Dispose();
            throw SocketErrors.Create(err, "eventfd");
        }

        _eventFd = new SafeFileDescriptor(efd);
        _events = new NativeMemoryHandle((nuint)(MaxEvents * EpollEventLayout.Size));
        try
        {
            Control(EPOLL_CTL_ADD, efd, WakeToken);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Registers a descriptor for readability, reported as <paramref name="token"/>.</summary>
    public void Add(int fd, ulong token)
    {
        if (token == WakeToken)
        {
            throw new ArgumentOutOfRangeException(nameof(token), "ulong.MaxValue is reserved.");
        }

        Control(EPOLL_CTL_ADD, fd, token);
    }

    /// <summary>Unregisters a descriptor.</summary>
    public void Remove(int fd) => Control(EPOLL_CTL_DEL, fd, 0);

    /// <summary>Waits for readiness; returns the number of tokens written (0 on timeout, EINTR or wake-only).</summary>
    public int Wait(Span<ulong> readyTokens, int timeoutMs)
    {
        bool epRef = false, memRef = false;
        try
        {
            _epoll.DangerousAddRef(ref epRef);
            _events.DangerousAddRef(ref memRef);
            int max = Math.Min(Math.Max(readyTokens.Length, 1), MaxEvents);
            byte* events = _events.Pointer;
            int n = PollCalls.epoll_wait(_epoll.Fd, events, max, timeoutMs);
            if (n < 0)
            {
                int err = Marshal.GetLastPInvokeError();
                if (err == Errno.EINTR)
                {
                    return 0;
                }

                throw SocketErrors.Create(err, "epoll_wait");
            }

            int count = 0;
            int size = EpollEventLayout.Size;
            for (int i = 0; i < n; i++)
            {
                ulong token = EpollEventLayout.Data(events + i * size);
                if (token == WakeToken)
                {
                    ulong value;
                    FileCalls.read(_eventFd.Fd, &value, sizeof(ulong)); // reset the eventfd counter
                    continue;
                }

                if (count < readyTokens.Length)
                {
                    readyTokens[count++] = token;
                }
            }

            return count;
        }
        finally
        {
            if (memRef)
            {
                _events.DangerousRelease();
            }

            if (epRef)
            {
                _epoll.DangerousRelease();
            }
        }
    }

    /// <summary>Makes a concurrent (or the next) <see cref="Wait"/> return. Thread-safe.</summary>
    public void Wake()
    {
        bool added = false;
        try
        {
            _eventFd.DangerousAddRef(ref added);
            ulong one = 1;
            FileCalls.write(_eventFd.Fd, &one, sizeof(ulong)); // EAGAIN (counter saturated) still leaves it readable
        }
        finally
        {
            if (added)
            {
                _eventFd.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        _eventFd.Dispose();
        _epoll.Dispose();
        _events.Dispose();
    }

    private void Control(int op, int fd, ulong token)
    {
        bool added = false;
        try
        {
            _epoll.DangerousAddRef(ref added);
            byte* ev = stackalloc byte[16];
            EpollEventLayout.Write(ev, EPOLLIN, token);
            if (PollCalls.epoll_ctl(_epoll.Fd, op, fd, ev) != 0)
            {
                throw SocketErrors.Create(Marshal.GetLastPInvokeError(), op == EPOLL_CTL_DEL ? "epoll_ctl(DEL)" : "epoll_ctl(ADD)");
            }
        }
        finally
        {
            if (added)
            {
                _epoll.DangerousRelease();
            }
        }
    }
}
