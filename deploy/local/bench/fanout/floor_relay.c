// The fan-out floor: the least work any relay that writes each frame to each member does.
//
// A measuring instrument for bench-fanout.sh, not part of the product. It accepts WebSocket
// clients (no token check: authentication is per connection, not per delivery), puts the n-th
// accepted connection in room n % ROOMS + 1 (the same split as mktokens.py's users), subscribes
// chat:room:1..ROOMS on Redis, and for every published message writes one text frame holding
// the message, unchanged, to every member of its room: one write() per delivery, nothing else.
// Whatever CPU it spends per delivery is the kernel's price of a send on this machine, which
// bounds how far any design that sends each delivery on its own can get ahead of another.
//
// usage: floor_relay PORT REDIS_PORT ROOMS      (cc -O2 -o floor_relay floor_relay.c -lcrypto)
// Prints "floor relay on PORT" once listening; exits on SIGTERM or when Redis goes away, with
// one JSON line on stderr counting deliveries and short writes (a short write would mean the
// figure is not a floor: the frame was not all taken at once).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ROOMS 64
#define HANDSHAKE_MAX 4096

typedef struct { int fd; int room; int open; size_t got; char request[HANDSHAKE_MAX]; } client_t;

static client_t **clients;                 // by fd
static int *members[MAX_ROOMS + 1];        // room -> fds
static int member_count[MAX_ROOMS + 1], member_cap[MAX_ROOMS + 1];
static unsigned long long deliveries, short_writes, accepted;
static volatile sig_atomic_t stopping;

static void on_term(int sig) { (void)sig; stopping = 1; }

static void die(const char *what) { perror(what); exit(1); }

static void add_member(int room, int fd) {
    if (member_count[room] == member_cap[room]) {
        member_cap[room] = member_cap[room] ? member_cap[room] * 2 : 1024;
        members[room] = realloc(members[room], sizeof(int) * (size_t)member_cap[room]);
        if (!members[room]) die("realloc");
    }
    members[room][member_count[room]++] = fd;
}

static void remove_member(int room, int fd) {
    for (int i = 0; i < member_count[room]; i++)
        if (members[room][i] == fd) { members[room][i] = members[room][--member_count[room]]; return; }
}

static void drop(int epoll_fd, client_t *c) {
    if (c->open) remove_member(c->room, c->fd);
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    clients[c->fd] = NULL;
    free(c);
}

// Reads the upgrade request; answers 101 once the head is complete.
static void handshake(int epoll_fd, client_t *c, int rooms) {
    ssize_t n = read(c->fd, c->request + c->got, sizeof c->request - 1 - c->got);
    if (n <= 0) { if (n < 0 && errno == EAGAIN) return; drop(epoll_fd, c); return; }
    c->got += (size_t)n;
    c->request[c->got] = 0;
    if (!strstr(c->request, "\r\n\r\n")) {
        if (c->got >= sizeof c->request - 1) drop(epoll_fd, c);
        return;
    }
    char *key = strcasestr(c->request, "Sec-WebSocket-Key:");
    if (!key) { drop(epoll_fd, c); return; }
    key += strlen("Sec-WebSocket-Key:");
    while (*key == ' ') key++;
    size_t key_len = strcspn(key, "\r\n");
    char joined[128];
    if (key_len > 64) { drop(epoll_fd, c); return; }
    snprintf(joined, sizeof joined, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)key_len, key);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((unsigned char *)joined, strlen(joined), digest);
    char accept[64];
    EVP_EncodeBlock((unsigned char *)accept, digest, SHA_DIGEST_LENGTH);
    char response[256];
    int len = snprintf(response, sizeof response,
                       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    if (write(c->fd, response, (size_t)len) != len) { drop(epoll_fd, c); return; }
    c->room = (int)(accepted++ % (unsigned long long)rooms) + 1;
    c->open = 1;
    add_member(c->room, c->fd);
}

// One published message: one frame, written to every member of the room.
static void fan_out(int room, const char *payload, size_t length) {
    static unsigned char frame[1 << 16];
    if (room < 1 || room > MAX_ROOMS || length > sizeof frame - 4) return;
    size_t head = 2;
    frame[0] = 0x81;
    if (length < 126) frame[1] = (unsigned char)length;
    else { frame[1] = 126; frame[2] = (unsigned char)(length >> 8); frame[3] = (unsigned char)length; head = 4; }
    memcpy(frame + head, payload, length);
    size_t total = head + length;
    for (int i = 0; i < member_count[room]; i++) {
        ssize_t n = write(members[room][i], frame, total);
        if (n == (ssize_t)total) deliveries++; else short_writes++;
    }
}

// Redis replies: only SUBSCRIBE confirmations and `message` pushes arrive on this connection.
static char redis_buffer[1 << 22];
static size_t redis_have;

// Parses one RESP bulk string at *p ("$N\r\n...\r\n"); 0 when incomplete.
static int bulk(const char **p, const char *end, const char **text, size_t *length) {
    const char *s = *p;
    if (s >= end || *s != '$') return 0;
    const char *crlf = memchr(s, '\r', (size_t)(end - s));
    if (!crlf || crlf + 1 >= end) return 0;
    long n = strtol(s + 1, NULL, 10);
    if (n < 0 || crlf + 2 + n + 2 > end) return 0;
    *text = crlf + 2; *length = (size_t)n; *p = crlf + 2 + n + 2;
    return 1;
}

static void redis_readable(int fd) {
    ssize_t n = read(fd, redis_buffer + redis_have, sizeof redis_buffer - redis_have);
    if (n <= 0) { if (n < 0 && errno == EAGAIN) return; stopping = 1; return; }
    redis_have += (size_t)n;
    const char *p = redis_buffer, *end = redis_buffer + redis_have;
    for (;;) {
        const char *start = p;
        if (p >= end) break;
        if (*p != '*') { stopping = 1; return; }
        const char *crlf = memchr(p, '\r', (size_t)(end - p));
        if (!crlf || crlf + 1 >= end) break;
        long items = strtol(p + 1, NULL, 10);
        p = crlf + 2;
        const char *kind, *channel, *payload; size_t kind_n, channel_n, payload_n;
        if (items != 3 || !bulk(&p, end, &kind, &kind_n) || !bulk(&p, end, &channel, &channel_n)) {
            if (items == 3) { p = start; break; }
            stopping = 1; return;
        }
        if (*p == ':') {  // subscribe confirmation: "*3 $9 subscribe $11 chat:room:1 :1"
            const char *line_end = memchr(p, '\n', (size_t)(end - p));
            if (!line_end) { p = start; break; }
            p = line_end + 1;
            continue;
        }
        if (!bulk(&p, end, &payload, &payload_n)) { p = start; break; }
        if (kind_n == 7 && memcmp(kind, "message", 7) == 0 && channel_n > 10)
            fan_out(atoi(channel + 10), payload, payload_n);   // "chat:room:N"
    }
    redis_have = (size_t)(end - p);
    memmove(redis_buffer, p, redis_have);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: floor_relay PORT REDIS_PORT ROOMS\n"); return 2; }
    int port = atoi(argv[1]), redis_port = atoi(argv[2]), rooms = atoi(argv[3]);
    if (rooms < 1 || rooms > MAX_ROOMS) { fprintf(stderr, "floor_relay: ROOMS must be 1..%d\n", MAX_ROOMS); return 2; }
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    clients = calloc(limit.rlim_cur, sizeof *clients);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);

    int one = 1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int redis_fd = socket(AF_INET, SOCK_STREAM, 0);
    address.sin_port = htons((uint16_t)redis_port);
    if (connect(redis_fd, (struct sockaddr *)&address, sizeof address)) die("connect to redis");
    char command[4096]; int used = snprintf(command, sizeof command, "*%d\r\n$9\r\nSUBSCRIBE\r\n", rooms + 1);
    for (int room = 1; room <= rooms; room++) {
        char name[32]; int name_n = snprintf(name, sizeof name, "chat:room:%d", room);
        used += snprintf(command + used, sizeof command - (size_t)used, "$%d\r\n%s\r\n", name_n, name);
    }
    if (write(redis_fd, command, (size_t)used) != used) die("subscribe");

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    address.sin_port = htons((uint16_t)port);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096)) die("listen");
    int epoll_fd = epoll_create1(0);
    struct epoll_event event = { .events = EPOLLIN, .data.fd = listener };
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
    event.data.fd = redis_fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, redis_fd, &event);
    printf("floor relay on %d\n", port);
    fflush(stdout);

    struct epoll_event ready[512];
    char discard[4096];
    while (!stopping) {
        int n = epoll_wait(epoll_fd, ready, 512, 200);
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            if (fd == listener) {
                int client_fd;
                while ((client_fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if ((rlim_t)client_fd >= limit.rlim_cur) { close(client_fd); continue; }
                    setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    client_t *c = calloc(1, sizeof *c);
                    c->fd = client_fd;
                    clients[client_fd] = c;
                    struct epoll_event client_event = { .events = EPOLLIN, .data.fd = client_fd };
                    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client_fd, &client_event);
                }
            } else if (fd == redis_fd) {
                redis_readable(redis_fd);
            } else if (clients[fd]) {
                client_t *c = clients[fd];
                if (!c->open) { handshake(epoll_fd, c, rooms); continue; }
                ssize_t got = read(fd, discard, sizeof discard);   // client frames are not acted on
                if (got == 0 || (got < 0 && errno != EAGAIN)) drop(epoll_fd, c);
            }
        }
    }
    fprintf(stderr, "{\"deliveries\":%llu,\"short_writes\":%llu,\"accepted\":%llu}\n", deliveries, short_writes, accepted);
    return 0;
}
