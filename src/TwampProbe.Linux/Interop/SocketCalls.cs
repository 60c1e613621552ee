using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Interop;

/// <summary>BSD socket calls (glibc).</summary>
internal static unsafe partial class SocketCalls
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int bind(int fd, byte* addr, uint addrlen);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int connect(int fd, byte* addr, uint addrlen);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int getsockname(int fd, byte* addr, uint* addrlen);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int setsockopt(int fd, int level, int optname, void* optval, uint optlen);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int getsockopt(int fd, int level, int optname, void* optval, uint* optlen);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int recvmmsg(int fd, MMsgHdr* msgvec, uint vlen, int flags, Timespec* timeout);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sendmmsg(int fd, MMsgHdr* msgvec, uint vlen, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

    /// <summary>ioctl is variadic; a fixed (int, ulong, void*) prototype is ABI-safe on x86_64 and aarch64 Linux.</summary>
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, void* arg);
}
