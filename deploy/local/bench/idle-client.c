/*
 * idle-client: opens N keep-alive connections to HOST:PORT, sends one `GET PATH` on each and
 * reads its whole answer (so every connection has been "used": parser state, buffers and
 * timers exist on the server), then holds them all open and idle.
 *
 *   idle-client HOST PORT N [PATH]
 *
 * Prints `held N` on stdout once every connection has its answer, then waits until stdin is
 * closed (or SIGTERM) and exits, closing everything. Exits 1 with a message on any failure
 * (a refused connect, an early close, no answer within 60 s).
 *
 * Its own process, so the server keeps the whole descriptor limit for its side of the
 * connections. Connects are capped at 256 in flight so the listen backlog never overflows.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_IN_FLIGHT = 256, RESPONSE_CAP = 1024, DEADLINE_SECONDS = 60 };

struct conn {
    int fd;
    int state; /* 0 connecting, 1 reading, 2 done */
    int got;
    char buf[RESPONSE_CAP];
};

static void die(const char *what) {
    fprintf(stderr, "idle-client: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *message) {
    fprintf(stderr, "idle-client: %s\n", message);
    exit(1);
}

/* True once buf holds a whole response head and the Content-Length body after it. */
static int response_complete(const char *buf, int len) {
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end) return 0;
    int head = (int)(end - buf) + 4;
    const char *cl = memmem(buf, head, "Content-Length:", 15);
    if (!cl) cl = memmem(buf, head, "content-length:", 15);
    long body = cl ? strtol(cl + 15, NULL, 10) : 0;
    return len >= head + body;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: idle-client HOST PORT N [PATH]\n");
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    int n = atoi(argv[3]);
    const char *path = argc > 4 ? argv[4] : "/hello";
    if (port <= 0 || port > 65535 || n <= 0) fail("PORT must be 1..65535 and N positive");

    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) die("getrlimit");
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) die("setrlimit");
    if ((rlim_t)n + 16 > lim.rlim_cur) fail("N is above the open-files limit");

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) fail("HOST must be an IPv4 address");

    char request[512];
    int request_len = snprintf(request, sizeof request,
                               "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: keep-alive\r\n\r\n", path, host, port);

    struct conn *conns = calloc((size_t)n, sizeof *conns);
    if (!conns) die("calloc");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");

    int started = 0, in_flight = 0, done = 0;
    time_t deadline = time(NULL) + DEADLINE_SECONDS;
    struct epoll_event events[256];
    while (done < n) {
        while (started < n && in_flight < MAX_IN_FLIGHT) {
            struct conn *c = &conns[started];
            c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c->fd < 0) die("socket");
            if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) die("connect");
            struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)started};
            if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl add");
            started++;
            in_flight++;
        }
        if (time(NULL) > deadline) {
            fprintf(stderr, "idle-client: only %d of %d connections answered within %d s\n", done, n, DEADLINE_SECONDS);
            return 1;
        }
        int ready = epoll_wait(ep, events, 256, 1000);
        if (ready < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < ready; i++) {
            struct conn *c = &conns[events[i].data.u32];
            if (c->state == 0) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) {
                    errno = err;
                    die("connect (async)");
                }
                /* One small request: a single write always fits a fresh socket's buffer. */
                if (write(c->fd, request, (size_t)request_len) != request_len) die("write");
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[i].data.u32};
                if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl mod");
                c->state = 1;
                continue;
            }
            ssize_t got = read(c->fd, c->buf + c->got, (size_t)(RESPONSE_CAP - 1 - c->got));
            if (got < 0 && errno == EAGAIN) continue;
            if (got <= 0) fail("the server closed a connection before answering");
            c->got += (int)got;
            if (response_complete(c->buf, c->got)) {
                if (memcmp(c->buf, "HTTP/1.1 200", 12) != 0) fail("an answer was not 200");
                if (epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL) != 0) die("epoll_ctl del");
                c->state = 2;
                done++;
                in_flight--;
            } else if (c->got >= RESPONSE_CAP - 1) {
                fail("an answer was larger than expected");
            }
        }
    }
    printf("held %d\n", done);
    fflush(stdout);

    /* Hold until our parent closes stdin; then check the server kept every connection open. */
    char byte;
    while (read(STDIN_FILENO, &byte, 1) > 0) {}
    int closed = 0;
    for (int i = 0; i < n; i++) {
        struct pollfd p = {.fd = conns[i].fd, .events = POLLIN};
        if (poll(&p, 1, 0) == 1) closed++; /* readable while idle = EOF (or an unasked byte) */
        close(conns[i].fd);
    }
    if (closed) {
        fprintf(stderr, "idle-client: the server closed %d of %d idle connections while held\n", closed, n);
        return 1;
    }
    return 0;
}
