using System.Diagnostics;
using TwampProbe.Linux.Interop;
using Xunit;
using Xunit.Abstractions;

namespace TwampProbe.Linux.Tests;

/// <summary>Checks interop struct layouts and constants against the C compiler's view (gcc, glibc headers).</summary>
public sealed unsafe class StructLayoutTests
{
    private const string CProgram = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <sched.h>
        #include <poll.h>
        #include <time.h>
        #include <sys/socket.h>
        #include <sys/epoll.h>
        #include <sys/timex.h>
        #include <sys/ioctl.h>
        #include <netinet/in.h>
        #include <net/if.h>
        #include <linux/errqueue.h>
        #include <linux/net_tstamp.h>
        #include <linux/sockios.h>
        #include <linux/ethtool.h>
        #define P(n, v) printf("%s=%lld\n", n, (long long)(v))
        int main(void) {
          P("iovec.size", sizeof(struct iovec)); P("iovec.iov_len", offsetof(struct iovec, iov_len));
          P("msghdr.size", sizeof(struct msghdr)); P("msghdr.msg_namelen", offsetof(struct msghdr, msg_namelen));
          P("msghdr.msg_iov", offsetof(struct msghdr, msg_iov)); P("msghdr.msg_iovlen", offsetof(struct msghdr, msg_iovlen));
          P("msghdr.msg_control", offsetof(struct msghdr, msg_control)); P("msghdr.msg_controllen", offsetof(struct msghdr, msg_controllen));
          P("msghdr.msg_flags", offsetof(struct msghdr, msg_flags));
          P("mmsghdr.size", sizeof(struct mmsghdr)); P("mmsghdr.msg_len", offsetof(struct mmsghdr, msg_len));
          P("cmsghdr.size", sizeof(struct cmsghdr)); P("cmsghdr.cmsg_level", offsetof(struct cmsghdr, cmsg_level));
          P("cmsghdr.cmsg_type", offsetof(struct cmsghdr, cmsg_type));
          P("CMSG_LEN(1)", CMSG_LEN(1)); P("CMSG_LEN(4)", CMSG_LEN(4)); P("CMSG_SPACE(4)", CMSG_SPACE(4)); P("CMSG_SPACE(48)", CMSG_SPACE(48));
          P("sockaddr_in.size", sizeof(struct sockaddr_in)); P("sockaddr_in.sin_port", offsetof(struct sockaddr_in, sin_port));
          P("sockaddr_in.sin_addr", offsetof(struct sockaddr_in, sin_addr));
          P("sockaddr_in6.size", sizeof(struct sockaddr_in6)); P("sockaddr_in6.sin6_port", offsetof(struct sockaddr_in6, sin6_port));
          P("sockaddr_in6.sin6_flowinfo", offsetof(struct sockaddr_in6, sin6_flowinfo)); P("sockaddr_in6.sin6_addr", offsetof(struct sockaddr_in6, sin6_addr));
          P("sockaddr_in6.sin6_scope_id", offsetof(struct sockaddr_in6, sin6_scope_id));
          P("in_pktinfo.size", sizeof(struct in_pktinfo)); P("in_pktinfo.ipi_spec_dst", offsetof(struct in_pktinfo, ipi_spec_dst));
          P("in_pktinfo.ipi_addr", offsetof(struct in_pktinfo, ipi_addr));
          P("in6_pktinfo.size", sizeof(struct in6_pktinfo)); P("in6_pktinfo.ipi6_ifindex", offsetof(struct in6_pktinfo, ipi6_ifindex));
          P("CMSG_LEN(12)", CMSG_LEN(12)); P("CMSG_SPACE(12)", CMSG_SPACE(12)); P("CMSG_LEN(20)", CMSG_LEN(20)); P("CMSG_SPACE(20)", CMSG_SPACE(20));
          P("IP_PKTINFO", IP_PKTINFO); P("IPV6_RECVPKTINFO", IPV6_RECVPKTINFO); P("IPV6_PKTINFO", IPV6_PKTINFO);
          P("timespec.size", sizeof(struct timespec)); P("timespec.tv_nsec", offsetof(struct timespec, tv_nsec));
          P("timex.size", sizeof(struct timex)); P("timex.modes", offsetof(struct timex, modes));
          P("timex.maxerror", offsetof(struct timex, maxerror)); P("timex.esterror", offsetof(struct timex, esterror));
          P("timex.status", offsetof(struct timex, status)); P("timex.tai", offsetof(struct timex, tai));
          P("scm_timestamping.size", sizeof(struct scm_timestamping)); P("scm_timestamping.ts2", offsetof(struct scm_timestamping, ts[2]));
          P("sock_extended_err.size", sizeof(struct sock_extended_err)); P("sock_extended_err.ee_origin", offsetof(struct sock_extended_err, ee_origin));
          P("sock_extended_err.ee_info", offsetof(struct sock_extended_err, ee_info)); P("sock_extended_err.ee_data", offsetof(struct sock_extended_err, ee_data));
          P("hwtstamp_config.size", sizeof(struct hwtstamp_config)); P("hwtstamp_config.tx_type", offsetof(struct hwtstamp_config, tx_type));
          P("hwtstamp_config.rx_filter", offsetof(struct hwtstamp_config, rx_filter));
          P("ifreq.size", sizeof(struct ifreq)); P("ifreq.ifr_data", offsetof(struct ifreq, ifr_data));
          P("epoll_event.size", sizeof(struct epoll_event)); P("epoll_event.data", offsetof(struct epoll_event, data));
          P("pollfd.size", sizeof(struct pollfd)); P("pollfd.revents", offsetof(struct pollfd, revents));
          P("cpu_set_t.size", sizeof(cpu_set_t));
          P("SO_TIMESTAMPING", SO_TIMESTAMPING); P("SCM_TIMESTAMPING", SCM_TIMESTAMPING);
          P("SO_RCVBUFFORCE", SO_RCVBUFFORCE); P("SO_SNDBUFFORCE", SO_SNDBUFFORCE);
          P("IP_TOS", IP_TOS); P("IP_TTL", IP_TTL); P("IP_RECVTTL", IP_RECVTTL); P("IP_RECVTOS", IP_RECVTOS); P("IP_RECVERR", IP_RECVERR);
          P("IPV6_UNICAST_HOPS", IPV6_UNICAST_HOPS); P("IPV6_V6ONLY", IPV6_V6ONLY); P("IPV6_RECVHOPLIMIT", IPV6_RECVHOPLIMIT);
          P("IPV6_HOPLIMIT", IPV6_HOPLIMIT); P("IPV6_RECVTCLASS", IPV6_RECVTCLASS); P("IPV6_TCLASS", IPV6_TCLASS); P("IPV6_RECVERR", IPV6_RECVERR);
          P("MSG_TRUNC", MSG_TRUNC); P("MSG_DONTWAIT", MSG_DONTWAIT); P("MSG_ERRQUEUE", MSG_ERRQUEUE);
          P("SOCK_CLOEXEC", SOCK_CLOEXEC); P("EPOLL_CLOEXEC", EPOLL_CLOEXEC);
          P("SOF_TIMESTAMPING_TX_HARDWARE", SOF_TIMESTAMPING_TX_HARDWARE); P("SOF_TIMESTAMPING_TX_SOFTWARE", SOF_TIMESTAMPING_TX_SOFTWARE);
          P("SOF_TIMESTAMPING_RX_HARDWARE", SOF_TIMESTAMPING_RX_HARDWARE); P("SOF_TIMESTAMPING_RX_SOFTWARE", SOF_TIMESTAMPING_RX_SOFTWARE);
          P("SOF_TIMESTAMPING_SOFTWARE", SOF_TIMESTAMPING_SOFTWARE); P("SOF_TIMESTAMPING_RAW_HARDWARE", SOF_TIMESTAMPING_RAW_HARDWARE);
          P("SOF_TIMESTAMPING_OPT_ID", SOF_TIMESTAMPING_OPT_ID); P("SOF_TIMESTAMPING_OPT_TSONLY", SOF_TIMESTAMPING_OPT_TSONLY);
          P("SO_EE_ORIGIN_TIMESTAMPING", SO_EE_ORIGIN_TIMESTAMPING); P("SIOCSHWTSTAMP", SIOCSHWTSTAMP);
          P("HWTSTAMP_TX_ON", HWTSTAMP_TX_ON); P("HWTSTAMP_FILTER_ALL", HWTSTAMP_FILTER_ALL);
          P("SIOCGHWTSTAMP", SIOCGHWTSTAMP); P("SIOCETHTOOL", SIOCETHTOOL); P("ETHTOOL_GET_TS_INFO", ETHTOOL_GET_TS_INFO);
          P("HWTSTAMP_TX_OFF", HWTSTAMP_TX_OFF); P("HWTSTAMP_FILTER_NONE", HWTSTAMP_FILTER_NONE); P("HWTSTAMP_FILTER_SOME", HWTSTAMP_FILTER_SOME);
          P("ethtool_ts_info.size", sizeof(struct ethtool_ts_info)); P("ethtool_ts_info.phc_index", offsetof(struct ethtool_ts_info, phc_index));
          P("ethtool_ts_info.rx_filters", offsetof(struct ethtool_ts_info, rx_filters));
          P("TIME_ERROR", TIME_ERROR); P("STA_UNSYNC", STA_UNSYNC);
          return 0;
        }
        """;

    private readonly ITestOutputHelper _output;

    public StructLayoutTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void InteropLayoutsAndConstantsMatchC()
    {
        Dictionary<string, long>? c = CompileAndRun();
        if (c is null)
        {
            _output.WriteLine("SKIPPED: gcc not found on PATH; struct layouts not verified.");
            return;
        }

        var actual = new Dictionary<string, long>();
        Iovec iov;
        actual["iovec.size"] = sizeof(Iovec);
        actual["iovec.iov_len"] = Off(&iov, &iov.Length);
        MsgHdr m;
        actual["msghdr.size"] = sizeof(MsgHdr);
        actual["msghdr.msg_namelen"] = Off(&m, &m.NameLength);
        actual["msghdr.msg_iov"] = Off(&m, &m.Iov);
        actual["msghdr.msg_iovlen"] = Off(&m, &m.IovLength);
        actual["msghdr.msg_control"] = Off(&m, &m.Control);
        actual["msghdr.msg_controllen"] = Off(&m, &m.ControlLength);
        actual["msghdr.msg_flags"] = Off(&m, &m.Flags);
        MMsgHdr mm;
        actual["mmsghdr.size"] = sizeof(MMsgHdr);
        actual["mmsghdr.msg_len"] = Off(&mm, &mm.Length);
        CMsgHdr cm;
        actual["cmsghdr.size"] = sizeof(CMsgHdr);
        actual["cmsghdr.cmsg_level"] = Off(&cm, &cm.Level);
        actual["cmsghdr.cmsg_type"] = Off(&cm, &cm.Type);
        actual["CMSG_LEN(1)"] = Cmsg.Len(1);
        actual["CMSG_LEN(4)"] = Cmsg.Len(4);
        actual["CMSG_SPACE(4)"] = Cmsg.Space(4);
        actual["CMSG_SPACE(48)"] = Cmsg.Space(48);
        SockAddrIn sin;
        actual["sockaddr_in.size"] = sizeof(SockAddrIn);
        actual["sockaddr_in.sin_port"] = Off(&sin, &sin.PortBigEndian);
        actual["sockaddr_in.sin_addr"] = Off(&sin, &sin.Address);
        SockAddrIn6 sin6;
        actual["sockaddr_in6.size"] = sizeof(SockAddrIn6);
        actual["sockaddr_in6.sin6_port"] = Off(&sin6, &sin6.PortBigEndian);
        actual["sockaddr_in6.sin6_flowinfo"] = Off(&sin6, &sin6.FlowInfo);
        actual["sockaddr_in6.sin6_addr"] = Off(&sin6, sin6.Address);
        actual["sockaddr_in6.sin6_scope_id"] = Off(&sin6, &sin6.ScopeId);
        InPktInfo pi;
        actual["in_pktinfo.size"] = sizeof(InPktInfo);
        actual["in_pktinfo.ipi_spec_dst"] = Off(&pi, &pi.SpecificDestination);
        actual["in_pktinfo.ipi_addr"] = Off(&pi, &pi.Address);
        In6PktInfo pi6;
        actual["in6_pktinfo.size"] = sizeof(In6PktInfo);
        actual["in6_pktinfo.ipi6_ifindex"] = Off(&pi6, &pi6.InterfaceIndex);
        actual["CMSG_LEN(12)"] = Cmsg.Len(sizeof(InPktInfo));
        actual["CMSG_SPACE(12)"] = Cmsg.Space(sizeof(InPktInfo));
        actual["CMSG_LEN(20)"] = Cmsg.Len(sizeof(In6PktInfo));
        actual["CMSG_SPACE(20)"] = Cmsg.Space(sizeof(In6PktInfo));
        actual["IP_PKTINFO"] = LinuxConstants.IP_PKTINFO;
        actual["IPV6_RECVPKTINFO"] = LinuxConstants.IPV6_RECVPKTINFO;
        actual["IPV6_PKTINFO"] = LinuxConstants.IPV6_PKTINFO;
        Timespec ts;
        actual["timespec.size"] = sizeof(Timespec);
        actual["timespec.tv_nsec"] = Off(&ts, &ts.Nanoseconds);
        Timex tx;
        actual["timex.size"] = sizeof(Timex);
        actual["timex.modes"] = Off(&tx, &tx.Modes);
        actual["timex.maxerror"] = Off(&tx, &tx.MaxError);
        actual["timex.esterror"] = Off(&tx, &tx.EstError);
        actual["timex.status"] = Off(&tx, &tx.Status);
        actual["timex.tai"] = Off(&tx, &tx.Tai);
        ScmTimestamping st;
        actual["scm_timestamping.size"] = sizeof(ScmTimestamping);
        actual["scm_timestamping.ts2"] = Off(&st, &st.Hardware);
        SockExtendedErr ee;
        actual["sock_extended_err.size"] = sizeof(SockExtendedErr);
        actual["sock_extended_err.ee_origin"] = Off(&ee, &ee.Origin);
        actual["sock_extended_err.ee_info"] = Off(&ee, &ee.Info);
        actual["sock_extended_err.ee_data"] = Off(&ee, &ee.Data);
        HwTstampConfig hw;
        actual["hwtstamp_config.size"] = sizeof(HwTstampConfig);
        actual["hwtstamp_config.tx_type"] = Off(&hw, &hw.TxType);
        actual["hwtstamp_config.rx_filter"] = Off(&hw, &hw.RxFilter);
        IfReq ifr;
        actual["ifreq.size"] = sizeof(IfReq);
        actual["ifreq.ifr_data"] = Off(&ifr, &ifr.Data);
        actual["epoll_event.size"] = EpollEventLayout.Size;
        actual["epoll_event.data"] = EpollEventLayout.DataOffset;
        PollFd pfd;
        actual["pollfd.size"] = sizeof(PollFd);
        actual["pollfd.revents"] = Off(&pfd, &pfd.Revents);
        actual["cpu_set_t.size"] = SchedCalls.CpuSetBytes;
        actual["SO_TIMESTAMPING"] = LinuxConstants.SO_TIMESTAMPING;
        actual["SCM_TIMESTAMPING"] = LinuxConstants.SCM_TIMESTAMPING;
        actual["SO_RCVBUFFORCE"] = LinuxConstants.SO_RCVBUFFORCE;
        actual["SO_SNDBUFFORCE"] = LinuxConstants.SO_SNDBUFFORCE;
        actual["IP_TOS"] = LinuxConstants.IP_TOS;
        actual["IP_TTL"] = LinuxConstants.IP_TTL;
        actual["IP_RECVTTL"] = LinuxConstants.IP_RECVTTL;
        actual["IP_RECVTOS"] = LinuxConstants.IP_RECVTOS;
        actual["IP_RECVERR"] = LinuxConstants.IP_RECVERR;
        actual["IPV6_UNICAST_HOPS"] = LinuxConstants.IPV6_UNICAST_HOPS;
        actual["IPV6_V6ONLY"] = LinuxConstants.IPV6_V6ONLY;
        actual["IPV6_RECVHOPLIMIT"] = LinuxConstants.IPV6_RECVHOPLIMIT;
        actual["IPV6_HOPLIMIT"] = LinuxConstants.IPV6_HOPLIMIT;
        actual["IPV6_RECVTCLASS"] = LinuxConstants.IPV6_RECVTCLASS;
        actual["IPV6_TCLASS"] = LinuxConstants.IPV6_TCLASS;
        actual["IPV6_RECVERR"] = LinuxConstants.IPV6_RECVERR;
        actual["MSG_TRUNC"] = LinuxConstants.MSG_TRUNC;
        actual["MSG_DONTWAIT"] = LinuxConstants.MSG_DONTWAIT;
        actual["MSG_ERRQUEUE"] = LinuxConstants.MSG_ERRQUEUE;
        actual["SOCK_CLOEXEC"] = LinuxConstants.SOCK_CLOEXEC;
        actual["EPOLL_CLOEXEC"] = LinuxConstants.EPOLL_CLOEXEC;
        actual["SOF_TIMESTAMPING_TX_HARDWARE"] = LinuxConstants.SOF_TIMESTAMPING_TX_HARDWARE;
        actual["SOF_TIMESTAMPING_TX_SOFTWARE"] = LinuxConstants.SOF_TIMESTAMPING_TX_SOFTWARE;
        actual["SOF_TIMESTAMPING_RX_HARDWARE"] = LinuxConstants.SOF_TIMESTAMPING_RX_HARDWARE;
        actual["SOF_TIMESTAMPING_RX_SOFTWARE"] = LinuxConstants.SOF_TIMESTAMPING_RX_SOFTWARE;
        actual["SOF_TIMESTAMPING_SOFTWARE"] = LinuxConstants.SOF_TIMESTAMPING_SOFTWARE;
        actual["SOF_TIMESTAMPING_RAW_HARDWARE"] = LinuxConstants.SOF_TIMESTAMPING_RAW_HARDWARE;
        actual["SOF_TIMESTAMPING_OPT_ID"] = LinuxConstants.SOF_TIMESTAMPING_OPT_ID;
        actual["SOF_TIMESTAMPING_OPT_TSONLY"] = LinuxConstants.SOF_TIMESTAMPING_OPT_TSONLY;
        actual["SO_EE_ORIGIN_TIMESTAMPING"] = LinuxConstants.SO_EE_ORIGIN_TIMESTAMPING;
        actual["SIOCSHWTSTAMP"] = (long)LinuxConstants.SIOCSHWTSTAMP;
        actual["HWTSTAMP_TX_ON"] = LinuxConstants.HWTSTAMP_TX_ON;
        actual["HWTSTAMP_FILTER_ALL"] = LinuxConstants.HWTSTAMP_FILTER_ALL;
        actual["SIOCGHWTSTAMP"] = (long)LinuxConstants.SIOCGHWTSTAMP;
        actual["SIOCETHTOOL"] = (long)LinuxConstants.SIOCETHTOOL;
        actual["ETHTOOL_GET_TS_INFO"] = LinuxConstants.ETHTOOL_GET_TS_INFO;
        actual["HWTSTAMP_TX_OFF"] = LinuxConstants.HWTSTAMP_TX_OFF;
        actual["HWTSTAMP_FILTER_NONE"] = LinuxConstants.HWTSTAMP_FILTER_NONE;
        actual["HWTSTAMP_FILTER_SOME"] = LinuxConstants.HWTSTAMP_FILTER_SOME;
        EthtoolTsInfo eti;
        actual["ethtool_ts_info.size"] = sizeof(EthtoolTsInfo);
        actual["ethtool_ts_info.phc_index"] = Off(&eti, &eti.PhcIndex);
        actual["ethtool_ts_info.rx_filters"] = Off(&eti, &eti.RxFilters);
        actual["TIME_ERROR"] = ClockCalls.TIME_ERROR;
        actual["STA_UNSYNC"] = ClockCalls.STA_UNSYNC;

        var mismatches = new List<string>();
        foreach (var (key, expected) in c)
        {
            if (!actual.TryGetValue(key, out long value))
            {
                mismatches.Add($"{key}: not checked on the C# side");
            }
            else if (value != expected)
            {
                mismatches.Add($"{key}: C={expected} C#={value}");
            }
        }

        foreach (string key in actual.Keys.Where(k => !c.ContainsKey(k)))
        {
            mismatches.Add($"{key}: missing from the C program output");
        }

        _output.WriteLine($"{c.Count} layout/constant values compared.");
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    private static long Off(void* start, void* field) => (byte*)field - (byte*)start;

    private static Dictionary<string, long>? CompileAndRun()
    {
        string? gcc = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(d => Path.Combine(d, "gcc")).FirstOrDefault(File.Exists);
        if (gcc is null)
        {
            return null;
        }

        string dir = Directory.CreateTempSubdirectory("twamp-layout-").FullName;
        try
        {
            string src = Path.Combine(dir, "layout.c");
            string exe = Path.Combine(dir, "layout");
            File.WriteAllText(src, CProgram);
            Run(gcc, $"-O0 -Wall -o \"{exe}\" \"{src}\"");
            string output = Run(exe, "");
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('='))
                .ToDictionary(p => p[0], p => long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {args} failed ({p.ExitCode}): {stderr}");
        return stdout;
    }
}
