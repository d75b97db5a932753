#ifndef MAILSH_CCURL_SHIM_H
#define MAILSH_CCURL_SHIM_H
#include <curl/curl.h>
#endif
