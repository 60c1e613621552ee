/* Minimal UDP echo used as the floor of `make bench`: one thread, the reflector's structure
 * (epoll_wait, then non-blocking recvmmsg batches until the queue is empty, each batch sent back
 * to its sources with one sendmmsg). With -t it also asks for what the TWAMP reflector
 * asks for (SO_TIMESTAMPING RX software timestamps, IP_RECVTTL, IP_RECVTOS control messages),
 * to show the kernel's share of that cost. Usage: echo [-t] ADDR PORT. SIGTERM stops it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32
#define SLOT 9216
#define CTRL 256

static char data[BATCH][SLOT];
static char ctrl[BATCH][CTRL];
static struct sockaddr_in addrs[BATCH];
static struct iovec iov[BATCH];
static struct mmsghdr msgs[BATCH];

int main(int argc, char **argv)
{
    int ts = 0, a = 1;
    if (argc > 1 && strcmp(argv[1], "-t") == 0) { ts = 1; a++; }
    if (argc - a != 2) { fprintf(stderr, "usage: echo [-t] ADDR PORT\n"); return 2; }
    signal(SIGTERM, SIG_DFL);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[a + 1])) };
    inet_pton(AF_INET, argv[a], &sa.sin_addr);
    int buf = 4 << 20, one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    if (ts) {
        int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags);
        setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
        setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { perror("bind"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fprintf(stderr, "echo: ready on %s:%s%s\n", argv[a], argv[a + 1], ts ? " (timestamps)" : "");
    for (;;) {
        struct epoll_event got;
        if (epoll_wait(ep, &got, 1, 1000) <= 0) continue;
      drain:
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = data[i];
            iov[i].iov_len = SLOT;
            memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &addrs[i];
            msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
            if (ts) { msgs[i].msg_hdr.msg_control = ctrl[i]; msgs[i].msg_hdr.msg_controllen = CTRL; }
        }
        int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) continue;
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
        if (n == BATCH) goto drain;
    }
}
