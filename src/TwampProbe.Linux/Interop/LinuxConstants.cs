namespace TwampProbe.Linux.Interop;

/// <summary>Linux ABI constants (asm-generic values, valid for x86_64 and aarch64).</summary>
internal static class LinuxConstants
{
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int IPPROTO_UDP = 17;

    public const int SOL_SOCKET = 1;
    public const int SO_REUSEADDR = 2;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;
    public const int SO_TIMESTAMPING = 37; // SO_TIMESTAMPING_OLD == 64-bit time layout on LP64
    public const int SCM_TIMESTAMPING = SO_TIMESTAMPING;

    public const int IPPROTO_IP = 0;
    public const int IP_TOS = 1;
    public const int IP_TTL = 2;
    public const int IP_PKTINFO = 8;
    public const int IP_RECVERR = 11;
    public const int IP_RECVTTL = 12;
    public const int IP_RECVTOS = 13;

    public const int IPPROTO_IPV6 = 41;
    public const int IPV6_UNICAST_HOPS = 16;
    public const int IPV6_RECVERR = 25;
    public const int IPV6_V6ONLY = 26;
    public const int IPV6_RECVPKTINFO = 49;
    public const int IPV6_PKTINFO = 50;
    public const int IPV6_RECVHOPLIMIT = 51;
    public const int IPV6_HOPLIMIT = 52;
    public const int IPV6_RECVTCLASS = 66;
    public const int IPV6_TCLASS = 67;

    public const int MSG_CTRUNC = 0x8;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_ERRQUEUE = 0x2000;

    public const uint SOF_TIMESTAMPING_TX_HARDWARE = 1 << 0;
    public const uint SOF_TIMESTAMPING_TX_SOFTWARE = 1 << 1;
    public const uint SOF_TIMESTAMPING_RX_HARDWARE = 1 << 2;
    public const uint SOF_TIMESTAMPING_RX_SOFTWARE = 1 << 3;
    public const uint SOF_TIMESTAMPING_SOFTWARE = 1 << 4;
    public const uint SOF_TIMESTAMPING_SYS_HARDWARE = 1 << 5;
    public const uint SOF_TIMESTAMPING_RAW_HARDWARE = 1 << 6;
    public const uint SOF_TIMESTAMPING_OPT_ID = 1 << 7;
    public const uint SOF_TIMESTAMPING_TX_SCHED = 1 << 8;
    public const uint SOF_TIMESTAMPING_TX_ACK = 1 << 9;
    public const uint SOF_TIMESTAMPING_OPT_CMSG = 1 << 10;
    public const uint SOF_TIMESTAMPING_OPT_TSONLY = 1 << 11;

    public const byte SO_EE_ORIGIN_TIMESTAMPING = 4;
    public const uint SCM_TSTAMP_SND = 0;

    public const nuint SIOCSHWTSTAMP = 0x89b0;
    public const nuint SIOCGHWTSTAMP = 0x89b1;
    public const nuint SIOCETHTOOL = 0x8946;
    public const uint ETHTOOL_GET_TS_INFO = 0x41;
    public const int HWTSTAMP_TX_OFF = 0;
    public const int HWTSTAMP_TX_ON = 1;
    public const int HWTSTAMP_FILTER_NONE = 0;
    public const int HWTSTAMP_FILTER_ALL = 1;
    public const int HWTSTAMP_FILTER_SOME = 2;

    public const short POLLIN = 0x001;
    public const short POLLOUT = 0x004;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;
}
