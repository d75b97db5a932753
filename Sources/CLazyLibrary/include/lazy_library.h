#ifndef MAILSH_LAZY_LIBRARY_H
#define MAILSH_LAZY_LIBRARY_H
/* A shared C library opened (dlopen) by the first call into it, for the loaders of libcurl (CCurl/loader.c), libedit
   (CEditLineLoader), OpenSSL's libcrypto (COpenSSLLoader), Lua (CLuaLoader), c-ares (CCaresLoader) and libxml2
   (CXML2Loader): a mailsh process that never calls them never loads them, nor the libraries behind them, nor runs
   their initialisers.

   A loader defines each function its module calls, with the library's own prototype, as a forward:
       LAZY_LIBRARY("libfoo.so.1", "Debian's libfoo1")
       LAZY_SLOT(foo_open);
       foo *foo_open(const char *name) { return LAZY_REAL(foo_open)(name); }
   A function used for the first time must be added to the loader too: the link fails until it is. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* EX_UNAVAILABLE: a program or file mailsh needs is missing. */
#define LAZY_UNAVAILABLE 69

/* The library `soname` (installed by `package`, named in the message when it is missing), opened once. */
#define LAZY_LIBRARY(soname, package)                                                                       \
    static void *lazy_library;                                                                              \
    static pthread_once_t lazy_opened = PTHREAD_ONCE_INIT;                                                  \
    static void lazy_open(void) {                                                                           \
        lazy_library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);                                               \
        if (lazy_library == NULL) {                                                                         \
            const char *reason = dlerror();                                                                 \
            fprintf(stderr, "mailsh: cannot load %s (install %s): %s\n", soname, package,                  \
                    reason ? reason : "unknown error");                                                     \
            exit(LAZY_UNAVAILABLE);                                                                         \
        }                                                                                                   \
    }                                                                                                       \
    /* The address of the library's `name`, looked up once and kept in `slot`. */                          \
    static void *lazy_symbol(const char *name, void **slot) {                                               \
        void *found = __atomic_load_n(slot, __ATOMIC_ACQUIRE);                                              \
        if (found != NULL) return found;                                                                    \
        pthread_once(&lazy_opened, lazy_open);                                                              \
        found = dlsym(lazy_library, name);                                                                  \
        if (found == NULL) {                                                                                \
            fprintf(stderr, "mailsh: %s has no %s\n", soname, name);                                        \
            exit(LAZY_UNAVAILABLE);                                                                         \
        }                                                                                                   \
        __atomic_store_n(slot, found, __ATOMIC_RELEASE);                                                    \
        return found;                                                                                       \
    }

/* The library's own function of that name, typed as its header declares it. */
#define LAZY_REAL(name) ((__typeof__(&name))lazy_symbol(#name, &lazy_slot_##name))
#define LAZY_SLOT(name) static void *lazy_slot_##name

#endif
