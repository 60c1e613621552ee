using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using TwampProbe.Linux.Interop;
using TwampProbe.Linux.Time;
using static TwampProbe.Linux.Interop.LinuxConstants;

namespace TwampProbe.Linux.Net;

/// <summary>
/// A UDP socket for TWAMP test packets: batched receive/send (recvmmsg/sendmmsg), kernel/hardware
/// RX and TX timestamps, TTL and traffic-class ancillary data. The receive and send paths allocate
/// nothing managed per packet.
/// </summary>
/// <remarks>
/// The descriptor is blocking (sends wait for buffer space) unless <see cref="UdpSocketOptions.NonBlocking"/>;
/// all receive paths use MSG_DONTWAIT.
/// Receive/Send may be used from different threads; concurrent Receive calls on one socket are not supported.
/// </remarks>
public sealed unsafe class UdpTestSocket : IDisposable
{
    private const int ErrControlBytes = 512;
    private const int ErrDataBytes = 256;

    private readonly SafeFileDescriptor _fd;
    private readonly int _rawFd;
    private readonly bool _ipv6;
    private readonly ushort _localPort;
    private readonly bool _hardwareRx;
    private readonly bool _hardwareTx;
    private readonly PhcTimescale? _phc;
    private readonly bool _txEnabled;

    // TX timestamp staging (error queue drained into this ring so the kernel queue never fills).
    private readonly Lock _txLock = new();
    private readonly TxTimestamp[] _txRing;
    private readonly NativeMemoryHandle? _errScratch;
    private int _txHead;
    private int _txCount;
    private long _txDropped;
    private long _sendFailures;
    private long _sendsWouldBlock;
    private int _lastSendErrno;

    private UdpTestSocket(SafeFileDescriptor fd, bool ipv6, IPEndPoint local, TimestampSource rxSource, string? reason, InterfaceTimestamping? hardware, bool tx, int txCapacity)
    {
        _fd = fd;
        _rawFd = fd.Fd;
        _ipv6 = ipv6;
        LocalEndPoint = local;
        _localPort = (ushort)local.Port;
        RxTimestampSource = rxSource;
        TimestampFallbackReason = reason;
        _hardwareRx = hardware is { Rx: true };
        _hardwareTx = hardware is { Tx: true } && tx;
        _phc = hardware?.Phc;
        _txEnabled = tx;
        _txRing = tx ? new TxTimestamp[Math.Max(16, txCapacity)] : [];
        if (tx)
        {
            _errScratch = new NativeMemoryHandle((nuint)(sizeof(MsgHdr) + sizeof(Iovec) + ErrControlBytes + ErrDataBytes + 64));
        }
    }

    /// <summary>The bound local endpoint (from getsockname).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The file descriptor (for <see cref="Poller"/>).</summary>
    public int Handle => _rawFd;

    /// <summary>True when the socket is AF_INET6.</summary>
    public bool IsIPv6Socket => _ipv6;

    /// <summary>RX timestamping that was enabled (Hardware only if SIOCSHWTSTAMP succeeded). Per packet, see <see cref="PacketMeta.TimestampSource"/>.</summary>
    public TimestampSource RxTimestampSource { get; }

    /// <summary>Why hardware timestamping was not used, when it was requested.</summary>
    public string? TimestampFallbackReason { get; }

    /// <summary>
    /// The PHC whose hardware timestamps this socket converts to system time, and its offset, e.g.
    /// "/dev/ptp0, system − PHC = −37.000000 s ± 40 ns" (null without hardware timestamps).
    /// </summary>
    public string? HardwareClock => _phc is null || (!_hardwareRx && !_hardwareTx) ? null
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_phc.Name}, system − PHC = {_phc.OffsetNs / 1e9:0.000000} s ± {_phc.UncertaintyNs} ns");

    /// <summary>
    /// Starts the once-a-second refresh of the PHC → system time mapping of this socket's interface (shared by
    /// every socket on it; idempotent; nothing without hardware timestamps). Call it after <see cref="Bind"/>
    /// from an ordinary thread (not the privileged one, see <see cref="PhcTimescale.StartRefresh"/>); until
    /// then hardware timestamps are converted with the offset measured at Bind, without drift correction.
    /// </summary>
    public void StartHardwareClockRefresh() => _phc?.StartRefresh(TimeSpan.FromSeconds(1));

    /// <summary>TX timestamps lost because the user-space ring overflowed.</summary>
    public long DroppedTransmitTimestamps => Volatile.Read(ref _txDropped);

    /// <summary>Datagrams skipped by <see cref="Send"/> because the kernel rejected them (e.g. unreachable).</summary>
    public long SendFailures => Volatile.Read(ref _sendFailures);

    /// <summary>Datagrams <see cref="Send"/> did not send because a non-blocking socket's send buffer was full (EAGAIN).</summary>
    public long SendsWouldBlock => Volatile.Read(ref _sendsWouldBlock);

    /// <summary>The errno of the last datagram <see cref="Send"/> skipped (0 if none).</summary>
    public int LastSendErrno => Volatile.Read(ref _lastSendErrno);

    /// <summary>Creates, configures and binds a UDP socket. Throws <see cref="SocketException"/> on failure.</summary>
    public static UdpTestSocket Bind(IPEndPoint local, UdpSocketOptions options)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(options);
        bool ipv6 = local.AddressFamily switch
        {
            AddressFamily.InterNetwork => false,
            AddressFamily.InterNetworkV6 => true,
            _ => throw new ArgumentException("Only IPv4 and IPv6 endpoints are supported.", nameof(local)),
        };
        if (options.SendTtl is { } ttlCheck && (ttlCheck < 1 || ttlCheck > 255))
        {
            throw new ArgumentOutOfRangeException(nameof(options), ttlCheck, "SendTtl must be 1..255.");
        }

        int fd = SocketCalls.socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | (options.NonBlocking ? SOCK_NONBLOCK : 0), IPPROTO_UDP);
        if (fd < 0)
        {
            throw SocketErrors.Create(Marshal.GetLastPInvokeError(), "socket");
        }

        var handle = new SafeFileDescriptor(fd);
        try
        {
            if (options.ReuseAddress)
            {
                SetInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
            }

            if (ipv6)
            {
                SetInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, options.DualStack ? 0 : 1, "IPV6_V6ONLY");
            }

            if (options.ReceiveBufferBytes > 0 && !TrySetInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, options.ReceiveBufferBytes))
            {
                SetInt(fd, SOL_SOCKET, SO_RCVBUF, options.ReceiveBufferBytes, "SO_RCVBUF");
            }

            if (options.SendBufferBytes > 0 && !TrySetInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, options.SendBufferBytes))
            {
                SetInt(fd, SOL_SOCKET, SO_SNDBUF, options.SendBufferBytes, "SO_SNDBUF");
            }

            if (options.SendTtl is { } ttl)
            {
                if (ipv6)
                {
                    SetInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, "IPV6_UNICAST_HOPS");
                    TrySetInt(fd, IPPROTO_IP, IP_TTL, ttl); // IPv4-mapped traffic on a dual-stack socket
                }
                else
                {
                    SetInt(fd, IPPROTO_IP, IP_TTL, ttl, "IP_TTL");
                }
            }

            if (options.ReceiveTtl)
            {
                if (ipv6)
                {
                    SetInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
                    TrySetInt(fd, IPPROTO_IP, IP_RECVTTL, 1);
                }
                else
                {
                    SetInt(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
                }
            }

            if (options.ReceiveTrafficClass)
            {
                if (ipv6)
                {
                    SetInt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1, "IPV6_RECVTCLASS");
                    TrySetInt(fd, IPPROTO_IP, IP_RECVTOS, 1);
                }
                else
                {
                    SetInt(fd, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS");
                }
            }

            if (options.ReceiveLocalAddress && IsWildcard(local.Address))
            {
                // A wildcard socket answers from whatever address routing picks unless told otherwise:
                // learn the address each datagram came to, so its reply can be sent from it. RFC 5357
                // §3.5: the Receiver Address is the reflector's end of the measured path, and when it is 0
                // "the IP addresses used for the Control-Client to Server TWAMP-Control message exchange
                // MUST be used in the test packets" — in the reflected ones too.
                if (ipv6)
                {
                    SetInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
                    TrySetInt(fd, IPPROTO_IP, IP_PKTINFO, 1); // IPv4-mapped traffic on a dual-stack socket
                }
                else
                {
                    SetInt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
                }
            }

            // Hardware timestamps only on the system timescale (converted from the NIC's PHC) and only under
            // the NIC setting a PTP daemon chose, if one did: see HardwareTimestamping.
            InterfaceTimestamping? hardware = null;
            string? reason = null;
            if (options.HardwareInterface is { } ifName && (options.ReceiveTimestamps || options.TransmitTimestamps))
            {
                hardware = HardwareTimestamping.For(fd, ifName);
                reason = hardware.Reason;
                if (hardware.Phc is null)
                {
                    hardware = null;
                }
            }

            bool kernelTimestamps = options.ReceiveTimestamps || options.TransmitTimestamps;
            if (kernelTimestamps)
            {
                uint flags = TimestampingFlags(options, hardware);
                if (SocketCalls.setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(uint)) != 0)
                {
                    int err = Marshal.GetLastPInvokeError();
                    string first = $"{Marshal.GetPInvokeErrorMessage(err)} (errno {err})";
                    uint software = TimestampingFlags(options, null);
                    if (hardware is not null && SocketCalls.setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &software, sizeof(uint)) == 0)
                    {
                        reason = $"SO_TIMESTAMPING with hardware flags failed: {first}";
                    }
                    else
                    {
                        // No kernel timestamping at all (e.g. under qemu-user): every packet gets a
                        // user-space clock_gettime stamp at receive, and no TX timestamps come back.
                        reason = $"SO_TIMESTAMPING unavailable: {first}; using user-space timestamps";
                        kernelTimestamps = false;
                    }
                    hardware = null;
                }
            }

            byte* sa = stackalloc byte[PacketBatch.AddressBytes];
            uint saLen = UdpPeer.From(local).WriteSockAddr(sa, ipv6);
            if (SocketCalls.bind(fd, sa, saLen) != 0)
            {
                throw SocketErrors.Create(Marshal.GetLastPInvokeError(), $"bind({local})");
            }

            uint nameLen = PacketBatch.AddressBytes;
            if (SocketCalls.getsockname(fd, sa, &nameLen) != 0)
            {
                throw SocketErrors.Create(Marshal.GetLastPInvokeError(), "getsockname");
            }

            IPEndPoint bound = UdpPeer.FromSockAddr(sa, nameLen).ToEndPoint();
            TimestampSource rx = !options.ReceiveTimestamps || !kernelTimestamps ? TimestampSource.User
                : hardware is { Rx: true } ? TimestampSource.Hardware : TimestampSource.Kernel;
            return new UdpTestSocket(handle, ipv6, bound, rx, reason, hardware, options.TransmitTimestamps && kernelTimestamps, options.TransmitTimestampQueueCapacity);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// recvmmsg into batch slots [0..n); returns n (0 on timeout/EAGAIN/EINTR). timeoutMs == 0: non-blocking;
    /// &gt; 0: poll() first for up to timeoutMs; &lt; 0: wait indefinitely.
    /// </summary>
    public int Receive(PacketBatch batch, int timeoutMs) => Receive(batch, timeoutMs, int.MaxValue);

    /// <summary>
    /// As <see cref="Receive(PacketBatch, int)"/>, at most <paramref name="maxPackets"/> datagrams (1 or
    /// more). A busy-polling reader asks an idle socket for one: recvmmsg then returns with the first
    /// datagram instead of trying for a second, and only one header is set up per idle call.
    /// </summary>
    public int Receive(PacketBatch batch, int timeoutMs, int maxPackets)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPackets, 1);
        bool fdRef = false, memRef = false;
        try
        {
            _fd.DangerousAddRef(ref fdRef);
            batch.Memory.DangerousAddRef(ref memRef);
            return ReceiveCore(batch, timeoutMs, Math.Min(maxPackets, batch.Capacity));
        }
        finally
        {
            if (memRef)
            {
                batch.Memory.DangerousRelease();
            }

            if (fdRef)
            {
                _fd.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// sendmmsg of slots [0..count) using each slot's Length, Peer (default peer = connected peer) and
    /// TrafficClass. Retries EINTR. Datagrams the kernel rejects (e.g. EHOSTUNREACH) are skipped and counted
    /// in <see cref="SendFailures"/>. Returns the number of datagrams sent.
    /// </summary>
    public int Send(PacketBatch batch, int count) => Send(batch, 0, count);

    /// <summary>
    /// sendmmsg of slots [first..first+count), as <see cref="Send(PacketBatch, int)"/>: lets a caller send
    /// the slots of one batch in several calls (the reflector flushes each reply soon after its T3).
    /// </summary>
    public int Send(PacketBatch batch, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, batch.Capacity - first);
        bool fdRef = false, memRef = false;
        try
        {
            _fd.DangerousAddRef(ref fdRef);
            batch.Memory.DangerousAddRef(ref memRef);
            return SendCore(batch, first, count);
        }
        finally
        {
            if (memRef)
            {
                batch.Memory.DangerousRelease();
            }

            if (fdRef)
            {
                _fd.DangerousRelease();
            }
        }
    }

    /// <summary>Single sendmsg (no allocation); TrafficClass &gt;= 0 adds an IP_TOS/IPV6_TCLASS cmsg. Throws <see cref="SocketException"/> on failure.</summary>
    public void SendTo(ReadOnlySpan<byte> data, in UdpPeer peer, int trafficClass)
    {
        bool fdRef = false;
        try
        {
            _fd.DangerousAddRef(ref fdRef);
            byte* sa = stackalloc byte[PacketBatch.AddressBytes];
            byte* control = stackalloc byte[32];
            fixed (byte* p = data)
            {
                Iovec iov;
                iov.Base = p;
                iov.Length = (nuint)data.Length;
                MsgHdr msg = default;
                msg.Iov = &iov;
                msg.IovLength = 1;
                if (peer.Port != 0)
                {
                    msg.Name = sa;
                    msg.NameLength = peer.WriteSockAddr(sa, _ipv6);
                }

                if (trafficClass >= 0)
                {
                    msg.Control = control;
                    msg.ControlLength = WriteTosCmsg(control, trafficClass, peer);
                }

                while (SocketCalls.sendmsg(_rawFd, &msg, 0) < 0)
                {
                    int err = Marshal.GetLastPInvokeError();
                    if (err != Errno.EINTR)
                    {
                        throw SocketErrors.Create(err, "sendmsg");
                    }
                }
            }
        }
        finally
        {
            if (fdRef)
            {
                _fd.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Drains MSG_ERRQUEUE (non-blocking) and returns up to into.Length TX timestamps (oldest first).
    /// Timestamps that do not fit stay buffered for the next call.
    /// </summary>
    public int ReadTransmitTimestamps(Span<TxTimestamp> into)
    {
        if (!_txEnabled)
        {
            return 0;
        }

        bool fdRef = false;
        try
        {
            _fd.DangerousAddRef(ref fdRef);
            lock (_txLock)
            {
                DrainErrorQueueLocked();
                int n = Math.Min(into.Length, _txCount);
                for (int i = 0; i < n; i++)
                {
                    into[i] = _txRing[_txHead];
                    _txHead = (_txHead + 1) % _txRing.Length;
                }

                _txCount -= n;
                return n;
            }
        }
        finally
        {
            if (fdRef)
            {
                _fd.DangerousRelease();
            }
        }
    }

    /// <summary>connect(): sets the default destination and filters received datagrams to that peer.</summary>
    public void Connect(in UdpPeer peer)
    {
        bool fdRef = false;
        try
        {
            _fd.DangerousAddRef(ref fdRef);
            byte* sa = stackalloc byte[PacketBatch.AddressBytes];
            uint len = peer.WriteSockAddr(sa, _ipv6);
            if (SocketCalls.connect(_rawFd, sa, len) != 0)
            {
                throw SocketErrors.Create(Marshal.GetLastPInvokeError(), $"connect({peer})");
            }
        }
        finally
        {
            if (fdRef)
            {
                _fd.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        _fd.Dispose();
        _errScratch?.Dispose();
    }

    private int ReceiveCore(PacketBatch batch, int timeoutMs, int capacity)
    {
        if (timeoutMs != 0 && !WaitReadable(timeoutMs))
        {
            return 0;
        }

        MMsgHdr* headers = batch.Headers;
        // Only the headers the last call changed: recvmmsg writes back the ones it filled, sendmmsg's
        // SendCore rewrites its range. Busy polling calls this in a loop on idle sockets.
        int unready = batch.UnreadyHeaders;
        for (int i = 0, end = Math.Min(unready, capacity); i < end; i++)
        {
            Iovec* iov = batch.Iov(i);
            iov->Base = batch.Data(i);
            iov->Length = (nuint)batch.SlotBytes;
            MsgHdr* m = &headers[i].Header;
            m->Name = batch.Address(i);
            m->NameLength = PacketBatch.AddressBytes;
            m->Iov = iov;
            m->IovLength = 1;
            m->Control = batch.Control(i);
            m->ControlLength = PacketBatch.ControlBytes;
            m->Flags = 0;
            headers[i].Length = 0;
        }

        int n = SocketCalls.recvmmsg(_rawFd, headers, (uint)capacity, MSG_DONTWAIT, null);
        // The kernel writes msg_len, msg_namelen, msg_controllen and msg_flags of the messages it
        // received only; one more in case a partial failure touched the next.
        // Headers beyond this call's count that were not set up stay as they were.
        batch.UnreadyHeaders = unready > capacity ? unready : Math.Min(capacity, Math.Max(n, 0) + 1);
        if (n < 0)
        {
            int err = Marshal.GetLastPInvokeError();
            switch (err)
            {
                case Errno.EAGAIN:
                    if (_txEnabled)
                    {
                        DrainErrorQueue();
                    }

                    return 0;
                case Errno.EINTR:
                case Errno.ECONNREFUSED: // pending ICMP error of a connected socket; now cleared
                case Errno.ECONNRESET:
                case Errno.EHOSTUNREACH:
                case Errno.ENETUNREACH:
                    return 0;
                default:
                    throw SocketErrors.Create(err, "recvmmsg");
            }
        }

        long now = RealtimeClock.UnixNanoseconds();
        PacketMeta[] meta = batch.MetaArray;
        for (int i = 0; i < n; i++)
        {
            ParseReceived(ref meta[i], &headers[i], batch.Address(i), now);
        }

        return n;
    }

    private void ParseReceived(ref PacketMeta meta, MMsgHdr* h, byte* address, long now)
    {
        MsgHdr* m = &h->Header;
        meta.Length = (int)h->Length;
        meta.Truncated = (m->Flags & MSG_TRUNC) != 0;
        meta.Peer = UdpPeer.FromSockAddr(address, m->NameLength);
        meta.LocalPort = _localPort;
        meta.Ttl = -1;
        meta.TrafficClass = -1;
        meta.UnixNanoseconds = now;
        meta.TimestampSource = TimestampSource.User;
        meta.LocalAddress = default;
        meta.InterfaceIndex = 0;

        for (CMsgHdr* c = Cmsg.First(m->Control, m->ControlLength); c != null; c = Cmsg.Next(m->Control, m->ControlLength, c))
        {
            byte* data = Cmsg.Data(c);
            int dataLen = (int)c->Length - Cmsg.HeaderSize;
            switch (c->Level)
            {
                case SOL_SOCKET when c->Type == SCM_TIMESTAMPING && dataLen >= sizeof(ScmTimestamping):
                    var ts = (ScmTimestamping*)data;
                    if (KernelTimestamp.TryPick(ts->Software.ToNanoseconds(), _hardwareRx ? ts->Hardware.ToNanoseconds() : 0, _phc, out long rxNs, out var rxSource))
                    {
                        meta.UnixNanoseconds = rxNs;
                        meta.TimestampSource = rxSource;
                    }

                    break;
                case IPPROTO_IP when c->Type == IP_TTL && dataLen >= sizeof(int):
                    meta.Ttl = *(int*)data;
                    break;
                case IPPROTO_IP when c->Type == IP_TOS && dataLen >= 1:
                    meta.TrafficClass = *data;
                    break;
                case IPPROTO_IPV6 when c->Type == IPV6_HOPLIMIT && dataLen >= sizeof(int):
                    meta.Ttl = *(int*)data;
                    break;
                case IPPROTO_IPV6 when c->Type == IPV6_TCLASS && dataLen >= sizeof(int):
                    meta.TrafficClass = *(int*)data & 0xff;
                    break;
                case IPPROTO_IP when c->Type == IP_PKTINFO && dataLen >= sizeof(InPktInfo):
                    var pi = (InPktInfo*)data;
                    meta.LocalAddress = UdpPeer.FromIPv4(new ReadOnlySpan<byte>(&pi->SpecificDestination, 4), _localPort);
                    meta.InterfaceIndex = pi->InterfaceIndex;
                    break;
                case IPPROTO_IPV6 when c->Type == IPV6_PKTINFO && dataLen >= sizeof(In6PktInfo):
                    var pi6 = (In6PktInfo*)data;
                    meta.LocalAddress = UdpPeer.FromIPv6(new ReadOnlySpan<byte>(pi6->Address, 16), _localPort, (uint)pi6->InterfaceIndex);
                    meta.InterfaceIndex = pi6->InterfaceIndex;
                    break;
            }
        }
    }

    private int SendCore(PacketBatch batch, int first, int count)
    {
        MMsgHdr* headers = batch.Headers;
        PacketMeta[] meta = batch.MetaArray;
        int end = first + count;
        batch.UnreadyHeaders = Math.Max(batch.UnreadyHeaders, end);
        for (int i = first; i < end; i++)
        {
            ref PacketMeta pm = ref meta[i];
            if ((uint)pm.Length > (uint)batch.SlotBytes)
            {
                ThrowLength(i);
            }

            Iovec* iov = batch.Iov(i);
            iov->Base = batch.Data(i);
            iov->Length = (nuint)pm.Length;
            MsgHdr* m = &headers[i].Header;
            if (pm.Peer.Port != 0)
            {
                m->Name = batch.Address(i);
                m->NameLength = pm.Peer.WriteSockAddr(batch.Address(i), _ipv6);
            }
            else
            {
                m->Name = null;
                m->NameLength = 0;
            }

            m->Iov = iov;
            m->IovLength = 1;
            // Each slot has its own control buffer: sendmmsg reads them all after this loop.
            byte* control = batch.Control(i);
            nuint controlLength = 0;
            if (pm.TrafficClass >= 0)
            {
                controlLength = WriteTosCmsg(control, pm.TrafficClass, pm.Peer);
            }

            if (pm.HasLocalAddress)
            {
                controlLength += WritePktInfoCmsg(control + controlLength, pm.LocalAddress, pm.Peer);
            }

            m->Control = controlLength != 0 ? control : null;
            m->ControlLength = controlLength;

            m->Flags = 0;
            headers[i].Length = 0;
        }

        int sent = 0;
        int index = first;
        while (index < end)
        {
            int r = SocketCalls.sendmmsg(_rawFd, headers + index, (uint)(end - index), 0);
            if (r > 0)
            {
                sent += r;
                index += r;
                continue;
            }

            int err = r < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (err == Errno.EINTR)
            {
                continue;
            }

            if (err == Errno.EAGAIN)
            {
                // Non-blocking socket, send buffer full: the rest of the batch is not sent.
                Interlocked.Add(ref _sendsWouldBlock, end - index);
                break;
            }

            if (err == Errno.EBADF || err == Errno.ENOTSOCK)
            {
                break;
            }

            // The datagram at 'index' was rejected: skip it, keep the batch going.
            Interlocked.Increment(ref _sendFailures);
            Volatile.Write(ref _lastSendErrno, err);
            index++;
        }

        return sent;
    }

    /// <summary>Writes an IP_TOS (IPv4 / IPv4-mapped) or IPV6_TCLASS cmsg carrying an int; returns CMSG_SPACE.</summary>
    private nuint WriteTosCmsg(byte* control, int trafficClass, in UdpPeer peer)
    {
        var c = (CMsgHdr*)control;
        bool v4 = !_ipv6 || !peer.IsIPv6;
        c->Level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
        c->Type = v4 ? IP_TOS : IPV6_TCLASS;
        c->Length = (nuint)Cmsg.Len(sizeof(int));
        *(int*)Cmsg.Data(c) = trafficClass & 0xff;
        return (nuint)Cmsg.Space(sizeof(int));
    }

    /// <summary>
    /// Writes an IP_PKTINFO (IPv4 / IPv4-mapped peer: ipi_spec_dst = source, ifindex 0) or IPV6_PKTINFO
    /// (ipi6_addr = source; ifindex only for a link-local source, where the address alone is ambiguous) cmsg;
    /// returns CMSG_SPACE, or 0 when the source and the peer are of different families.
    /// </summary>
    private nuint WritePktInfoCmsg(byte* control, in UdpPeer source, in UdpPeer peer)
    {
        if (source.IsIPv6 != peer.IsIPv6)
        {
            return 0;
        }

        var c = (CMsgHdr*)control;
        if (!source.IsIPv6)
        {
            c->Level = IPPROTO_IP;
            c->Type = IP_PKTINFO;
            c->Length = (nuint)Cmsg.Len(sizeof(InPktInfo));
            var pi = (InPktInfo*)Cmsg.Data(c);
            *pi = default;
            Span<byte> a = stackalloc byte[16];
            source.WriteAddress16(a);
            pi->SpecificDestination = MemoryMarshal.Read<uint>(a[12..]); // network order, as in memory
            return (nuint)Cmsg.Space(sizeof(InPktInfo));
        }

        c->Level = IPPROTO_IPV6;
        c->Type = IPV6_PKTINFO;
        c->Length = (nuint)Cmsg.Len(sizeof(In6PktInfo));
        var pi6 = (In6PktInfo*)Cmsg.Data(c);
        source.WriteAddress16(new Span<byte>(pi6->Address, 16));
        pi6->InterfaceIndex = source.IsIPv6LinkLocal ? (int)source.ScopeId : 0;
        return (nuint)Cmsg.Space(sizeof(In6PktInfo));
    }

    private static bool IsWildcard(IPAddress address)
        => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private bool WaitReadable(int timeoutMs)
    {
        long deadline = timeoutMs > 0 ? MonotonicMilliseconds() + timeoutMs : long.MaxValue;
        int remaining = timeoutMs;
        while (true)
        {
            PollFd p;
            p.Fd = _rawFd;
            p.Events = POLLIN;
            p.Revents = 0;
            int r = PollCalls.poll(&p, 1, remaining);
            if (r < 0)
            {
                int err = Marshal.GetLastPInvokeError();
                if (err == Errno.EINTR)
                {
                    return false;
                }

                throw SocketErrors.Create(err, "poll");
            }

            if (r == 0)
            {
                return false;
            }

            if ((p.Revents & POLLIN) != 0)
            {
                return true;
            }

            if ((p.Revents & POLLNVAL) != 0)
            {
                throw new ObjectDisposedException(nameof(UdpTestSocket));
            }

            // POLLERR: TX timestamps waiting in the error queue (or a socket error for recvmmsg to report).
            if (!_txEnabled || DrainErrorQueue() == 0)
            {
                return true;
            }

            if (timeoutMs > 0)
            {
                long left = deadline - MonotonicMilliseconds();
                if (left <= 0)
                {
                    return false;
                }

                remaining = (int)left;
            }
        }
    }

    private int DrainErrorQueue()
    {
        lock (_txLock)
        {
            return DrainErrorQueueLocked();
        }
    }

    private int DrainErrorQueueLocked()
    {
        byte* basePtr = _errScratch!.Pointer;
        var msg = (MsgHdr*)basePtr;
        var iov = (Iovec*)(basePtr + 64);
        byte* control = basePtr + 128;
        byte* data = control + ErrControlBytes;
        int drained = 0;
        while (true)
        {
            iov->Base = data;
            iov->Length = ErrDataBytes;
            *msg = default;
            msg->Iov = iov;
            msg->IovLength = 1;
            msg->Control = control;
            msg->ControlLength = ErrControlBytes;
            nint r = SocketCalls.recvmsg(_rawFd, msg, MSG_ERRQUEUE | MSG_DONTWAIT);
            if (r < 0)
            {
                if (Marshal.GetLastPInvokeError() == Errno.EINTR)
                {
                    continue;
                }

                return drained; // EAGAIN: queue empty
            }

            drained++;
            ScmTimestamping* ts = null;
            SockExtendedErr* ee = null;
            for (CMsgHdr* c = Cmsg.First(msg->Control, msg->ControlLength); c != null; c = Cmsg.Next(msg->Control, msg->ControlLength, c))
            {
                int dataLen = (int)c->Length - Cmsg.HeaderSize;
                if (c->Level == SOL_SOCKET && c->Type == SCM_TIMESTAMPING && dataLen >= sizeof(ScmTimestamping))
                {
                    ts = (ScmTimestamping*)Cmsg.Data(c);
                }
                else if (((c->Level == IPPROTO_IP && c->Type == IP_RECVERR) || (c->Level == IPPROTO_IPV6 && c->Type == IPV6_RECVERR))
                    && dataLen >= sizeof(SockExtendedErr))
                {
                    ee = (SockExtendedErr*)Cmsg.Data(c);
                }
            }

            if (ts == null || ee == null || ee->Origin != SO_EE_ORIGIN_TIMESTAMPING || ee->Errno != Errno.ENOMSG)
            {
                continue;
            }

            if (!KernelTimestamp.TryPick(ts->Software.ToNanoseconds(), _hardwareTx ? ts->Hardware.ToNanoseconds() : 0, _phc, out long txNs, out var txSource))
            {
                continue;
            }

            var stamp = new TxTimestamp(ee->Data, txNs, txSource);

            if (_txCount == _txRing.Length)
            {
                _txHead = (_txHead + 1) % _txRing.Length;
                _txCount--;
                _txDropped++;
            }

            _txRing[(_txHead + _txCount) % _txRing.Length] = stamp;
            _txCount++;
        }
    }

    private static long MonotonicMilliseconds()
    {
        Timespec ts;
        ClockCalls.clock_gettime(ClockCalls.CLOCK_MONOTONIC, &ts);
        return ts.Seconds * 1000 + ts.Nanoseconds / 1_000_000;
    }

    private static uint TimestampingFlags(UdpSocketOptions o, InterfaceTimestamping? hardware)
    {
        uint flags = 0;
        if (o.ReceiveTimestamps)
        {
            flags |= SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
            if (hardware is { Rx: true })
            {
                flags |= SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
            }
        }

        if (o.TransmitTimestamps)
        {
            flags |= SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
            if (hardware is { Tx: true })
            {
                flags |= SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
            }
        }

        return flags;
    }

    private static bool TrySetInt(int fd, int level, int name, int value)
        => SocketCalls.setsockopt(fd, level, name, &value, sizeof(int)) == 0;

    private static void SetInt(int fd, int level, int name, int value, string what)
    {
        if (!TrySetInt(fd, level, name, value))
        {
            throw SocketErrors.Create(Marshal.GetLastPInvokeError(), $"setsockopt({what})");
        }
    }

    private static void SetUInt(int fd, int level, int name, uint value, string what)
    {
        if (SocketCalls.setsockopt(fd, level, name, &value, sizeof(uint)) != 0)
        {
            throw SocketErrors.Create(Marshal.GetLastPInvokeError(), $"setsockopt({what})");
        }
    }

    private static void ThrowLength(int slot)
        => throw new ArgumentOutOfRangeException(nameof(slot), slot, "PacketMeta.Length exceeds the slot size.");
}
