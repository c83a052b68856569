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

/// Names the calling thread (pthread_setname_np needs _GNU_SOURCE); truncated to 15 bytes.
void clinux_set_thread_name(const char *name);

/// Installs SIGTERM/SIGINT handlers that only write the signal number (one byte) to a pipe,
/// and returns the pipe's blocking read end, or -1. Works whatever the threads' signal masks
/// are (unlike signalfd/sigwait). A second termination signal restores the default action and
/// re-raises it, so a repeated Ctrl-C still ends a stuck process. Idempotent.
int clinux_termination_pipe(void);
/// Reads one byte (a signal number) from the pipe, retrying EINTR; -1 on error or EOF.
int clinux_termination_pipe_read(int fd);

#endif
