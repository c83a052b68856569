#define _GNU_SOURCE
#include "CLinux.h"
#include <unistd.h>
#include <string.h>
#include <pthread.h>
#include <fcntl.h>

int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

int clinux_errno(void) { return errno; }

int clinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int clinux_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        events[i] = evs[i].events;
        data[i] = evs[i].data.u64;
    }
    return n;
}

int clinux_signalfd_for_termination(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int clinux_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n == (ssize_t)sizeof info) return (int)info.ssi_signo;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
}

void clinux_set_thread_name(const char *name) {
    char buf[16];
    strncpy(buf, name, sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    pthread_setname_np(pthread_self(), buf);
}

static int clinux_term_pipe[2] = {-1, -1};
static volatile sig_atomic_t clinux_term_seen = 0;

static void clinux_term_handler(int sig) {
    int saved = errno;
    if (clinux_term_seen) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, NULL);
        raise(sig);
    } else {
        clinux_term_seen = 1;
        unsigned char b = (unsigned char)sig;
        ssize_t ignored = write(clinux_term_pipe[1], &b, 1);
        (void)ignored;
    }
    errno = saved;
}

int clinux_termination_pipe(void) {
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    if (clinux_term_pipe[0] < 0) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) { pthread_mutex_unlock(&lock); return -1; }
        fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
        clinux_term_pipe[0] = fds[0];
        clinux_term_pipe[1] = fds[1];
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = clinux_term_handler;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
    }
    int fd = clinux_term_pipe[0];
    pthread_mutex_unlock(&lock);
    return fd;
}

int clinux_termination_pipe_read(int fd) {
    unsigned char b;
    for (;;) {
        ssize_t n = read(fd, &b, 1);
        if (n == 1) return (int)b;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}
