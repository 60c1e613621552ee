/* Minimal UDP echo used as the floor of `make bench`: one thread, the reflector's structure
 * (epoll_wait, then non-blocking recvmmsg batches until the queue is empty, each batch sent back
 * to its sources with one sendmmsg). With -t it also asks for what the TWAMP reflector
 * asks for (SO_TIMESTAMPING RX software timestamps, IP_RECVTTL, IP_RECVTOS control messages),
 * to show the kernel's share of that cost. With -b (implies -t) it busy-polls like `reflector-poll busy`
 * (non-blocking recvmmsg in a loop, one datagram asked of an idle socket, a pause between empty rounds)
 * and measures the floor of the reflector's turnaround: CLOCK_REALTIME just before the reply's
 * sendmmsg minus the packet's kernel RX timestamp; SIGTERM then prints its p50/p99 to stderr.
 * With -1 (implies -t) it sends as the reflector does for an accurate T3: each reply in its own
 * sendmmsg, CLOCK_REALTIME read just before it (the reflector's T3): the floor of that cost, which the
 * bench measures from this process's CPU time (it prints nothing of its own).
 * With -l (implies -1) it is also the floor of the reflector's T3 lead: each T3 paired by OPT_ID with
 * the socket's own kernel TX software timestamp; SIGTERM prints the lead's p50/p99.
 * With -n N (implies -1) it is the floor of many sessions: N sockets on PORT..PORT+N-1 in one epoll set,
 * one recvmmsg batch per ready socket per round (the reflector's fair draining), each reply in its own
 * sendmmsg after a CLOCK_REALTIME read; SIGTERM prints the turnaround (that read − the packet's kernel RX
 * timestamp) p50/p99.
 * Usage: echo [-t|-b|-1|-l|-n N] ADDR PORT. SIGTERM stops it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define SLOT 9216
#define CTRL 256

static char data[BATCH][SLOT];
static char ctrl[BATCH][CTRL];
static struct sockaddr_in addrs[BATCH];
static struct iovec iov[BATCH];
static struct mmsghdr msgs[BATCH];

/* Sets up headers 0..n-1 for recvmmsg, with control buffers when ctl. */
static void set_up(int n, int ctl)
{
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = data[i];
        iov[i].iov_len = SLOT;
        memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
        if (ctl) { msgs[i].msg_hdr.msg_control = ctrl[i]; msgs[i].msg_hdr.msg_controllen = CTRL; }
    }
}

/* Sends the n datagrams just received back to their sources, as they came. */
static void echo_back(int fd, int n)
{
    for (int i = 0; i < n; i++) {
        iov[i].iov_len = msgs[i].msg_len;
        msgs[i].msg_hdr.msg_control = NULL;
        msgs[i].msg_hdr.msg_controllen = 0;
    }
    int off = 0;
    while (off < n) {
        int s = sendmmsg(fd, msgs + off, n - off, 0);
        if (s < 0) { if (errno == EINTR) continue; break; }
        off += s;
    }
}

#define FLOOR_MAX (1 << 22)
static long floor_ns[FLOOR_MAX];
static int floor_n;
static volatile sig_atomic_t stop;

static int cmp_long(const void *x, const void *y)
{
    long a = *(const long *)x, b = *(const long *)y;
    return a < b ? -1 : a > b;
}

static long realtime_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec * 1000000000L + now.tv_nsec;
}

/* Sorts the n samples and prints "echo: WHAT n=N p50=X p99=Y us" to stderr. */
static void print_floor(const char *what, long *v, int n)
{
    qsort(v, n, sizeof v[0], cmp_long);
    if (n > 0)
        fprintf(stderr, "echo: %s n=%d p50=%.2f p99=%.2f us\n", what, n, v[(n - 1) / 2] / 1e3, v[(int)((n - 1) * 0.99)] / 1e3);
    else
        fprintf(stderr, "echo: %s n=0\n", what);
}

static void on_term(int sig) { (void)sig; stop = 1; }


static long rx_timestamp_ns(struct msghdr *h)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
            struct timespec t[3];
            memcpy(t, CMSG_DATA(c), sizeof t);
            return t[0].tv_sec * 1000000000L + t[0].tv_nsec;
        }
    return 0;
}

/* -b: the busy-polling floor. */
static int busy(int fd)
{
    int idle = 1;
    signal(SIGTERM, on_term);
    while (!stop) {
        int want = idle ? 1 : BATCH;
        set_up(want, 1);
        int n = recvmmsg(fd, msgs, want, MSG_DONTWAIT, NULL);
        idle = n <= 0;
        if (idle) { __builtin_ia32_pause(); continue; }
        long t3 = realtime_ns();
        for (int i = 0; i < n; i++) {
            long t2 = rx_timestamp_ns(&msgs[i].msg_hdr);
            if (t2 != 0 && floor_n < FLOOR_MAX) floor_ns[floor_n++] = t3 - t2;
        }
        echo_back(fd, n);
    }
    print_floor("turnaround floor", floor_ns, floor_n);
    return 0;
}

/* -l: T3 of the datagrams sent so far, by OPT_ID (counts datagrams from 0), for pairing. */
#define LEAD_WINDOW 4096
static long sent_t3[LEAD_WINDOW];
static unsigned sent_count;
static int unpaired; /* a send failed: OPT_ID pairing is no longer trusted */

/* Pairs every TX timestamp queued on the socket's error queue with the T3 of its datagram (after a failed
 * send, only drains them: a non-empty error queue keeps epoll reporting EPOLLERR). */
static void read_tx_timestamps(int fd)
{
    for (;;) {
        char c[256];
        struct msghdr h = { .msg_control = c, .msg_controllen = sizeof c };
        if (recvmsg(fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
        long tx = 0;
        long id = -1;
        for (struct cmsghdr *m = CMSG_FIRSTHDR(&h); m; m = CMSG_NXTHDR(&h, m)) {
            if (m->cmsg_level == SOL_SOCKET && m->cmsg_type == SO_TIMESTAMPING) {
                struct timespec t[3];
                memcpy(t, CMSG_DATA(m), sizeof t);
                tx = t[0].tv_sec * 1000000000L + t[0].tv_nsec;
            } else if (m->cmsg_level == IPPROTO_IP && m->cmsg_type == IP_RECVERR) {
                struct sock_extended_err e;
                memcpy(&e, CMSG_DATA(m), sizeof e);
                if (e.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) id = e.ee_data;
            }
        }
        unsigned age = sent_count - (unsigned)id;
        if (!unpaired && tx != 0 && id >= 0 && age >= 1 && age <= LEAD_WINDOW && floor_n < FLOOR_MAX)
            floor_ns[floor_n++] = tx - sent_t3[(unsigned)id % LEAD_WINDOW];
    }
}

/* -n: one socket per session, each ready one drained by one batch per round. */
#define MANY_EVENTS 256
static int many(int ep, int *fds, int nfds)
{
    struct epoll_event got[MANY_EVENTS];
    signal(SIGTERM, on_term);
    while (!stop) {
        int k = epoll_wait(ep, got, MANY_EVENTS, 1000);
        for (int e = 0; e < k; e++) {
            int i = (int)got[e].data.u32;
            if (i < 0 || i >= nfds) continue;
            set_up(BATCH, 1);
            int n = recvmmsg(fds[i], msgs, BATCH, MSG_DONTWAIT, NULL);
            for (int j = 0; j < n; j++) {
                long t2 = rx_timestamp_ns(&msgs[j].msg_hdr);
                iov[j].iov_len = msgs[j].msg_len;
                msgs[j].msg_hdr.msg_control = NULL;
                msgs[j].msg_hdr.msg_controllen = 0;
                long t3 = realtime_ns();
                if (t2 != 0 && floor_n < FLOOR_MAX) floor_ns[floor_n++] = t3 - t2;
                sendmmsg(fds[i], &msgs[j], 1, 0);
            }
        }
    }
    print_floor("many turnaround floor", floor_ns, floor_n);
    return 0;
}

/* -1 and -l: the n datagrams just received sent back each in its own sendmmsg, CLOCK_REALTIME read just
 * before it (the reflector's T3); -l (tx) pairs each with its TX timestamp. */
static volatile long last_t3;

static void send_each(int fd, int n, int tx)
{
    for (int i = 0; i < n; i++) {
        iov[i].iov_len = msgs[i].msg_len;
        msgs[i].msg_hdr.msg_control = NULL;
        msgs[i].msg_hdr.msg_controllen = 0;
        long t3 = realtime_ns();
        last_t3 = t3;
        if (tx) sent_t3[sent_count % LEAD_WINDOW] = t3;
        if (sendmmsg(fd, &msgs[i], 1, 0) == 1) sent_count++;
        else if (tx && !unpaired) {
            /* OPT_ID may have counted the failed datagram: later stamps could pair wrongly. Keep echoing,
             * stop measuring; the samples so far are still printed. */
            fprintf(stderr, "echo: a send failed: no more T3-lead samples\n");
            unpaired = 1;
        }
        if (tx) read_tx_timestamps(fd);
    }
}

/* A bound UDP socket with buffers of buf octets; ts: the reflector's RX control messages; tx: TX timestamps too. */
static int open_socket(const char *addr, int port, int ts, int tx, int buf)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, addr, &sa.sin_addr);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    if (ts) {
        int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
        if (tx) flags |= SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags);
        setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
        setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { perror("bind"); close(fd); return -1; }
    return fd;
}

int main(int argc, char **argv)
{
    int ts = 0, spin = 0, single = 0, tx = 0, nsock = 1, a = 1;
    if (argc > 1 && strcmp(argv[1], "-t") == 0) { ts = 1; a++; }
    else if (argc > 1 && strcmp(argv[1], "-b") == 0) { ts = spin = 1; a++; }
    else if (argc > 1 && strcmp(argv[1], "-1") == 0) { ts = single = 1; a++; }
    else if (argc > 1 && strcmp(argv[1], "-l") == 0) { ts = single = tx = 1; a++; }
    else if (argc > 2 && strcmp(argv[1], "-n") == 0) { ts = single = 1; nsock = atoi(argv[2]); a += 2; }
    if (argc - a != 2 || nsock < 1 || nsock > 65535) { fprintf(stderr, "usage: echo [-t|-b|-1|-l|-n N] ADDR PORT\n"); return 2; }
    if (nsock > 1) {
        int ep = epoll_create1(0);
        int *fds = calloc(nsock, sizeof *fds);
        for (int i = 0; i < nsock; i++) {
            fds[i] = open_socket(argv[a], atoi(argv[a + 1]) + i, 1, 0, 256 << 10);
            if (fds[i] < 0) return 1;
            struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (unsigned)i };
            epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
        }
        fprintf(stderr, "echo: ready on %s:%s-%d (%d sockets)\n", argv[a], argv[a + 1], atoi(argv[a + 1]) + nsock - 1, nsock);
        return many(ep, fds, nsock);
    }
    signal(SIGTERM, SIG_DFL);
    int fd = open_socket(argv[a], atoi(argv[a + 1]), ts, tx, 4 << 20);
    if (fd < 0) return 1;
    if (spin) {
        fprintf(stderr, "echo: ready on %s:%s (busy polling)\n", argv[a], argv[a + 1]);
        return busy(fd);
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fprintf(stderr, "echo: ready on %s:%s%s\n", argv[a], argv[a + 1], tx ? " (T3 lead)" : single ? " (a sendmmsg per reply)" : ts ? " (timestamps)" : "");
    if (tx) signal(SIGTERM, on_term);
    while (!stop) {
        struct epoll_event got;
        if (epoll_wait(ep, &got, 1, 1000) <= 0) continue;
      drain:
        set_up(BATCH, ts);
        int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) { if (tx) read_tx_timestamps(fd); continue; }
        if (!single) echo_back(fd, n);
        else send_each(fd, n, tx);
        if (n == BATCH) goto drain;
    }
    print_floor("t3 lead floor", floor_ns, floor_n);
    return 0;
}
