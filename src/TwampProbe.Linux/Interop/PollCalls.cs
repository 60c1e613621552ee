using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>poll/epoll/eventfd.</summary>
internal static unsafe partial class PollCalls
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int epoll_create1(int flags);

    /// <param name="ev">Points to a native struct epoll_event (see <see cref="EpollEventLayout"/>).</param>
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int eventfd(uint initval, int flags);
}
