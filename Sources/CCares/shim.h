#ifndef CMAILSH_CARES_SHIM_H
#define CMAILSH_CARES_SHIM_H
#include <ares.h>
#include <poll.h>
#include <string.h>

/* c-ares's query callback type, named for Swift. */
typedef void (*CMailshCares_callback)(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

/* A channel that asks only the servers in `servers` ("HOST:PORT,…"; NULL: /etc/resolv.conf), waits `timeout_ms`
   per try, tries `tries` times, and never searches domains. Returns an ARES_ status. */
static inline int CMailshCares_init(ares_channel *channel, const char *servers, int timeout_ms, int tries) {
    struct ares_options options;
    memset(&options, 0, sizeof options);
    options.timeout = timeout_ms;
    options.tries = tries;
    options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    options.ndots = 0;
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_NDOTS;
    int status = ares_init_options(channel, &options, mask);
    if (status != ARES_SUCCESS) return status;
    if (servers != NULL) {
        status = ares_set_servers_ports_csv(*channel, servers);
        if (status != ARES_SUCCESS) { ares_destroy(*channel); return status; }
    }
    return ARES_SUCCESS;
}

/* The sockets c-ares waits on, as pollfd entries (at most `capacity`); returns how many. */
static inline int CMailshCares_pollfds(ares_channel channel, struct pollfd *fds, int capacity) {
    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
    int count = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM && count < capacity; i++) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events == 0) continue;
        fds[count].fd = sockets[i];
        fds[count].events = events;
        fds[count].revents = 0;
        count++;
    }
    return count;
}

/* Milliseconds until c-ares wants to be called for its own timeouts (at most `max_ms`). */
static inline int CMailshCares_timeout_ms(ares_channel channel, int max_ms) {
    struct timeval max = { max_ms / 1000, (max_ms % 1000) * 1000 }, tv;
    struct timeval *t = ares_timeout(channel, &max, &tv);
    return (int)(t->tv_sec * 1000 + t->tv_usec / 1000);
}

/* Lets c-ares handle one socket's events (or only its timeouts, with ARES_SOCKET_BAD twice). */
static inline void CMailshCares_process(ares_channel channel, int fd, short revents) {
    ares_socket_t r = (revents & (POLLIN | POLLERR | POLLHUP)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t w = (revents & POLLOUT) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(channel, r, w);
}

static inline void CMailshCares_process_timeouts(ares_channel channel) {
    ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}
#endif
