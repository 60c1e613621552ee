using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace TwampProbe.Linux.Net;

/// <summary>errno to <see cref="SocketError"/> mapping and exception factory.</summary>
internal static class SocketErrors
{
    public static SocketError ToSocketError(int errno) => errno switch
    {
        Interop.Errno.EADDRINUSE => SocketError.AddressAlreadyInUse,
        Interop.Errno.EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        Interop.Errno.EACCES or Interop.Errno.EPERM => SocketError.AccessDenied,
        Interop.Errno.EAFNOSUPPORT => SocketError.AddressFamilyNotSupported,
        Interop.Errno.EINVAL => SocketError.InvalidArgument,
        Interop.Errno.ENOBUFS or Interop.Errno.ENOMEM => SocketError.NoBufferSpaceAvailable,
        Interop.Errno.ECONNREFUSED => SocketError.ConnectionRefused,
        Interop.Errno.ECONNRESET => SocketError.ConnectionReset,
        Interop.Errno.ENETUNREACH => SocketError.NetworkUnreachable,
        Interop.Errno.ENETDOWN => SocketError.NetworkDown,
        Interop.Errno.EHOSTUNREACH => SocketError.HostUnreachable,
        Interop.Errno.EHOSTDOWN => SocketError.HostDown,
        Interop.Errno.EMSGSIZE => SocketError.MessageSize,
        Interop.Errno.EAGAIN => SocketError.WouldBlock,
        Interop.Errno.EINTR => SocketError.Interrupted,
        Interop.Errno.EPROTONOSUPPORT => SocketError.ProtocolNotSupported,
        Interop.Errno.ENOPROTOOPT => SocketError.ProtocolOption,
        Interop.Errno.EOPNOTSUPP => SocketError.OperationNotSupported,
        Interop.Errno.EMFILE or Interop.Errno.ENFILE => SocketError.TooManyOpenSockets,
        Interop.Errno.ENOTCONN => SocketError.NotConnected,
        Interop.Errno.EISCONN => SocketError.IsConnected,
        Interop.Errno.ETIMEDOUT => SocketError.TimedOut,
        Interop.Errno.ENOTSOCK => SocketError.NotSocket,
        Interop.Errno.EFAULT => SocketError.Fault,
        Interop.Errno.EBADF => SocketError.OperationAborted,
        _ => SocketError.SocketError,
    };

    public static SocketException Create(int errno, string operation)
        => new((int)ToSocketError(errno), $"{operation} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
}
