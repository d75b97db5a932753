/* The c-ares functions discovery calls through CCares, each forwarding to libcares.so.2, which the first call opens
   (dlopen): only a process that resolves SRV, MX or TXT records (`discover`, Lua's mail.account.discover) loads it.
   CCares's module map links nothing; MailshDiscovery depends on this target. A function called for the first time
   (from Swift or from an inline shim in CCares/shim.h) must be added here: the link fails until it is. */
#include <ares.h>
#include "lazy_library.h"

LAZY_LIBRARY("libcares.so.2", "Debian's libc-ares2")

#define REAL(name) LAZY_REAL(name)
#define SLOT(name) LAZY_SLOT(name)

SLOT(ares_library_init);
int ares_library_init(int flags) { return REAL(ares_library_init)(flags); }
SLOT(ares_strerror);
const char *ares_strerror(int code) { return REAL(ares_strerror)(code); }
SLOT(ares_init_options);
int ares_init_options(ares_channel *channelptr, struct ares_options *options, int optmask) {
    return REAL(ares_init_options)(channelptr, options, optmask);
}
SLOT(ares_set_servers_ports_csv);
int ares_set_servers_ports_csv(ares_channel channel, const char *servers) {
    return REAL(ares_set_servers_ports_csv)(channel, servers);
}
SLOT(ares_destroy);
void ares_destroy(ares_channel channel) { REAL(ares_destroy)(channel); }
SLOT(ares_cancel);
void ares_cancel(ares_channel channel) { REAL(ares_cancel)(channel); }
SLOT(ares_query);
void ares_query(ares_channel channel, const char *name, int dnsclass, int type, ares_callback callback, void *arg) {
    REAL(ares_query)(channel, name, dnsclass, type, callback, arg);
}
SLOT(ares_getsock);
int ares_getsock(ares_channel channel, ares_socket_t *socks, int numsocks) {
    return REAL(ares_getsock)(channel, socks, numsocks);
}
SLOT(ares_timeout);
struct timeval *ares_timeout(ares_channel channel, struct timeval *maxtv, struct timeval *tv) {
    return REAL(ares_timeout)(channel, maxtv, tv);
}
SLOT(ares_process_fd);
void ares_process_fd(ares_channel channel, ares_socket_t read_fd, ares_socket_t write_fd) {
    REAL(ares_process_fd)(channel, read_fd, write_fd);
}
SLOT(ares_parse_mx_reply);
int ares_parse_mx_reply(const unsigned char *abuf, int alen, struct ares_mx_reply **mx_out) {
    return REAL(ares_parse_mx_reply)(abuf, alen, mx_out);
}
SLOT(ares_parse_srv_reply);
int ares_parse_srv_reply(const unsigned char *abuf, int alen, struct ares_srv_reply **srv_out) {
    return REAL(ares_parse_srv_reply)(abuf, alen, srv_out);
}
SLOT(ares_parse_txt_reply_ext);
int ares_parse_txt_reply_ext(const unsigned char *abuf, int alen, struct ares_txt_ext **txt_out) {
    return REAL(ares_parse_txt_reply_ext)(abuf, alen, txt_out);
}
SLOT(ares_free_data);
void ares_free_data(void *dataptr) { REAL(ares_free_data)(dataptr); }
