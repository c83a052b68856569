#ifndef CLINUX_H
#define CLINUX_H

// Kernel interfaces Swift's Glibc module does not expose, plus fixed-argument
// wrappers for what Swift cannot call directly. Nothing else belongs here.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <errno.h>

int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int clinux_errno(void);

/// epoll_event is packed on x86_64; these keep Swift away from its layout.
int clinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int clinux_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max, int timeout_ms);

/// Blocks SIGTERM/SIGINT/SIGHUP in the calling thread (call before spawning threads)
/// and returns a signalfd reporting them, or -1.
int clinux_signalfd_for_termination(void);
/// Reads one signal from a signalfd; returns the signal number, 0 if none, -1 on error.
int clinux_signalfd_read(int fd);

#endif
