#ifndef MAILSH_CPROCESSGUARD_SHIM_H
#define MAILSH_CPROCESSGUARD_SHIM_H
/* prctl is variadic, which Swift cannot call: one typed function per use. */
#ifdef __linux__
#include <sys/prctl.h>

/* Marks the process dumpable (1) or not (0): no core dump, and no ptrace or /proc/PID/mem by the same user. */
static inline int CMailsh_set_dumpable(int dumpable) {
    return prctl(PR_SET_DUMPABLE, (unsigned long)dumpable, 0UL, 0UL, 0UL);
}

/* 1 when the process is dumpable, 0 when not, -1 on error. */
static inline int CMailsh_get_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
}
#else
static inline int CMailsh_set_dumpable(int dumpable) { (void)dumpable; return 0; }
static inline int CMailsh_get_dumpable(void) { return -1; }
#endif
#endif
