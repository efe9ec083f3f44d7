/*
 * echo-server: the Linux guest's side of `./scripts/bench`'s network section. UDP and TCP
 * echo on one port (default 7), one thread, poll(2), non-blocking sockets — the same service
 * the echo unikernel offers (apps/echo), written as a small Linux program would be.
 * Built by scripts/bench.d/build-linux-guest with `gcc -static -O2`; runs as the guest's
 * PID 1 after /init has configured eth0.
 *
 *   echo-server [PORT]
 *
 * Prints "echo-server: serving UDP and TCP port N" once both sockets are bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 64
#define BUF_SIZE 65536

struct conn {
    int fd;
    size_t len, off; /* pending bytes: buf[off..len) */
    int eof;         /* the peer has shut its side down */
    char buf[BUF_SIZE];
};

static struct conn *conns[MAX_CONNS];

static void fail(const char *what) {
    fprintf(stderr, "echo-server: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) fail("fcntl");
}

static int bound(int type, int port) {
    struct sockaddr_in addr;
    int one = 1;
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) fail("socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) fail("bind");
    nonblocking(fd);
    return fd;
}

static void drop(int i) {
    close(conns[i]->fd);
    free(conns[i]);
    conns[i] = NULL;
}

/* Writes what is pending; returns -1 if the connection is gone. */
static int flush(struct conn *c) {
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return 0;
            return -1;
        }
        c->off += (size_t)n;
    }
    c->off = c->len = 0;
    return c->eof ? -1 : 0; /* everything echoed after the peer's FIN: close */
}

static void serve_udp(int fd) {
    static char buf[BUF_SIZE];
    for (;;) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
        if (n < 0) return;
        sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fromlen);
    }
}

static void accept_all(int listener) {
    for (;;) {
        int i, fd = accept(listener, NULL, NULL);
        if (fd < 0) return;
        for (i = 0; i < MAX_CONNS && conns[i]; i++) {}
        if (i == MAX_CONNS || !(conns[i] = calloc(1, sizeof(struct conn)))) {
            close(fd);
            continue;
        }
        nonblocking(fd);
        conns[i]->fd = fd;
    }
}

static void serve_tcp(int i, short revents) {
    struct conn *c = conns[i];
    if (c->len > c->off) { /* waiting to write */
        if (flush(c) < 0) drop(i);
        return;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(c->fd, c->buf, sizeof c->buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) {
            c->eof = 1;
            n = 0;
        }
        c->off = 0;
        c->len = (size_t)n;
        if (flush(c) < 0) drop(i);
    }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 7;
    int udp = bound(SOCK_DGRAM, port);
    int tcp = bound(SOCK_STREAM, port);
    if (listen(tcp, 64) < 0) fail("listen");
    printf("echo-server: serving UDP and TCP port %d\n", port);
    fflush(stdout);
    for (;;) {
        struct pollfd fds[2 + MAX_CONNS];
        int slot[2 + MAX_CONNS];
        int nfds = 2, i;
        fds[0] = (struct pollfd){.fd = udp, .events = POLLIN};
        fds[1] = (struct pollfd){.fd = tcp, .events = POLLIN};
        for (i = 0; i < MAX_CONNS; i++) {
            if (!conns[i]) continue;
            fds[nfds] = (struct pollfd){
                .fd = conns[i]->fd,
                .events = conns[i]->len > conns[i]->off ? POLLOUT : POLLIN,
            };
            slot[nfds++] = i;
        }
        if (poll(fds, (nfds_t)nfds, -1) < 0) {
            if (errno == EINTR) continue;
            fail("poll");
        }
        if (fds[0].revents) serve_udp(udp);
        if (fds[1].revents) accept_all(tcp);
        for (i = 2; i < nfds; i++)
            if (fds[i].revents && conns[slot[i]]) serve_tcp(slot[i], fds[i].revents);
    }
}
