/* The libcurl functions mailsh calls, each forwarding to libcurl.so.4, which the first call opens (dlopen): a process
   that never reaches a mail server never loads libcurl and the dozen libraries behind it. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>
#include "lazy_library.h"

/* Debian's libcurl4 (the OpenSSL flavour that libcurl4-openssl-dev builds against). */
LAZY_LIBRARY("libcurl.so.4", "Debian's libcurl4")

#define REAL(name) LAZY_REAL(name)
#define SLOT(name) LAZY_SLOT(name)

SLOT(curl_global_init);
CURLcode curl_global_init(long flags) { return REAL(curl_global_init)(flags); }

SLOT(curl_version_info);
curl_version_info_data *curl_version_info(CURLversion version) { return REAL(curl_version_info)(version); }

SLOT(curl_easy_init);
CURL *curl_easy_init(void) { return REAL(curl_easy_init)(); }

SLOT(curl_easy_cleanup);
void curl_easy_cleanup(CURL *curl) { REAL(curl_easy_cleanup)(curl); }

SLOT(curl_easy_perform);
CURLcode curl_easy_perform(CURL *curl) { return REAL(curl_easy_perform)(curl); }

SLOT(curl_easy_recv);
CURLcode curl_easy_recv(CURL *curl, void *buffer, size_t buflen, size_t *n) {
    return REAL(curl_easy_recv)(curl, buffer, buflen, n);
}

SLOT(curl_easy_send);
CURLcode curl_easy_send(CURL *curl, const void *buffer, size_t buflen, size_t *n) {
    return REAL(curl_easy_send)(curl, buffer, buflen, n);
}

SLOT(curl_easy_strerror);
const char *curl_easy_strerror(CURLcode code) { return REAL(curl_easy_strerror)(code); }

/* The one argument after an option, read as libcurl reads it: the option's number says its type (long, a pointer
   to an object, string, list or function, curl_off_t, a blob), numbered alike for easy and multi options. */
#define FORWARD_OPTION(function, handle, option, arguments)                                              \
    ((option) < CURLOPTTYPE_OBJECTPOINT ? REAL(function)(handle, option, va_arg(arguments, long))         \
     : (option) < CURLOPTTYPE_OFF_T     ? REAL(function)(handle, option, va_arg(arguments, void *))       \
     : (option) < CURLOPTTYPE_BLOB      ? REAL(function)(handle, option, va_arg(arguments, curl_off_t))   \
                                        : REAL(function)(handle, option, va_arg(arguments, void *)))

SLOT(curl_easy_setopt);
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...) {
    va_list arguments;
    va_start(arguments, option);
    CURLcode code = FORWARD_OPTION(curl_easy_setopt, curl, option, arguments);
    va_end(arguments);
    return code;
}

/* Every CURLINFO is written through a pointer. */
SLOT(curl_easy_getinfo);
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...) {
    va_list arguments;
    va_start(arguments, info);
    CURLcode code = REAL(curl_easy_getinfo)(curl, info, va_arg(arguments, void *));
    va_end(arguments);
    return code;
}

SLOT(curl_multi_init);
CURLM *curl_multi_init(void) { return REAL(curl_multi_init)(); }

SLOT(curl_multi_cleanup);
CURLMcode curl_multi_cleanup(CURLM *multi) { return REAL(curl_multi_cleanup)(multi); }

SLOT(curl_multi_add_handle);
CURLMcode curl_multi_add_handle(CURLM *multi, CURL *curl) { return REAL(curl_multi_add_handle)(multi, curl); }

SLOT(curl_multi_remove_handle);
CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *curl) { return REAL(curl_multi_remove_handle)(multi, curl); }

SLOT(curl_multi_perform);
CURLMcode curl_multi_perform(CURLM *multi, int *running) { return REAL(curl_multi_perform)(multi, running); }

SLOT(curl_multi_poll);
CURLMcode curl_multi_poll(CURLM *multi, struct curl_waitfd extra_fds[], unsigned int extra_nfds, int timeout_ms,
                          int *numfds) {
    return REAL(curl_multi_poll)(multi, extra_fds, extra_nfds, timeout_ms, numfds);
}

SLOT(curl_multi_info_read);
CURLMsg *curl_multi_info_read(CURLM *multi, int *queued) { return REAL(curl_multi_info_read)(multi, queued); }

SLOT(curl_multi_setopt);
CURLMcode curl_multi_setopt(CURLM *multi, CURLMoption option, ...) {
    va_list arguments;
    va_start(arguments, option);
    CURLMcode code = FORWARD_OPTION(curl_multi_setopt, multi, option, arguments);
    va_end(arguments);
    return code;
}

SLOT(curl_slist_append);
struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data) {
    return REAL(curl_slist_append)(list, data);
}

SLOT(curl_slist_free_all);
void curl_slist_free_all(struct curl_slist *list) { REAL(curl_slist_free_all)(list); }
