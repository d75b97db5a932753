#ifndef MAILSH_CCURL_SHIM_H
#define MAILSH_CCURL_SHIM_H
#include <curl/curl.h>

/* libcurl is not linked: it and the libraries it needs (GnuTLS, Kerberos, LDAP, …) would cost every mailsh process
   milliseconds of loading and initialising, though only the commands that reach a server use it. loader.c defines
   the libcurl functions mailsh calls; the first call opens libcurl.so.4 with dlopen. A function used for the first
   time must be added there too (the link fails until it is). */

/* curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic: Swift can't call them. One typed
   function per argument kind, every symbol prefixed. */

static inline CURLcode CMailshCurl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CMailshCurl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
/* libcurl copies strings (a NULL resets the option to its default, or disables it, as the option says). */
static inline CURLcode CMailshCurl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CMailshCurl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CMailshCurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
/* A blob option (CURLOPT_SSLKEY_BLOB, CURLOPT_SSLCERT_BLOB): libcurl copies the bytes into its own memory
   (CURL_BLOB_COPY), so the caller may wipe its copy at once; nothing is written to disk. */
static inline CURLcode CMailshCurl_setopt_blob(CURL *handle, CURLoption option, void *data, size_t length) {
    struct curl_blob blob = { data, length, CURL_BLOB_COPY };
    return curl_easy_setopt(handle, option, &blob);
}
static inline CURLcode CMailshCurl_setopt_debugfunction(CURL *handle, curl_debug_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, callback);
}
static inline CURLcode CMailshCurl_setopt_writefunction(CURL *handle, curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}
static inline CURLcode CMailshCurl_setopt_readfunction(CURL *handle, curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

static inline CURLcode CMailshCurl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode CMailshCurl_getinfo_offset(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode CMailshCurl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}
/* CURLINFO_ACTIVESOCKET writes a curl_socket_t (an int here), not a long. */
static inline CURLcode CMailshCurl_getinfo_socket(CURL *handle, CURLINFO info, curl_socket_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode CMailshCurl_getinfo_certinfo(CURL *handle, struct curl_certinfo **value) {
    return curl_easy_getinfo(handle, CURLINFO_CERTINFO, value);
}

static inline CURLMcode CMailshCurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

/* CURL_ERROR_SIZE and CURLVERSION_NOW are macros. */
static inline size_t CMailshCurl_error_size(void) { return CURL_ERROR_SIZE; }
static inline curl_version_info_data *CMailshCurl_version_info(void) { return curl_version_info(CURLVERSION_NOW); }

#endif
