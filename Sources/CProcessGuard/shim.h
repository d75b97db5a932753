#ifndef MAILSH_CPROCESSGUARD_SHIM_H
#define MAILSH_CPROCESSGUARD_SHIM_H
/* prctl is variadic, which Swift cannot call, and a signal handler must be C: one typed function per use. */
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>
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

/* Core files of at most 0 bytes, soft and hard limit (so no child can raise it again): none is written, whatever
   the dumpable flag and the system's core_pattern say. 0, or -1 with errno. */
static inline int CMailsh_forbid_core_files(void) {
    struct rlimit none = { 0, 0 };
    return setrlimit(RLIMIT_CORE, &none);
}

/* The soft and hard limits of core file size in bytes (-2: unlimited); 0, or -1 with errno. */
static inline int CMailsh_core_file_limits(long long *soft, long long *hard) {
    struct rlimit limits;
    if (getrlimit(RLIMIT_CORE, &limits) != 0) return -1;
    *soft = limits.rlim_cur == RLIM_INFINITY ? -2 : (long long)limits.rlim_cur;
    *hard = limits.rlim_max == RLIM_INFINITY ? -2 : (long long)limits.rlim_max;
    return 0;
}

/* The terminal's settings when mailsh started (restored by the quit handler), and whether there are any: kept in
   a function (Swift emits a header's functions, not its variables). */
static inline struct termios *CMailsh_start_terminal(void) {
    static struct termios settings;
    return &settings;
}

static inline volatile sig_atomic_t *CMailsh_have_start_terminal(void) {
    static volatile sig_atomic_t saved;
    return &saved;
}

/* Ctrl-\ (SIGQUIT): ends the process at once, as 128 + SIGQUIT, with a word on the error stream and the terminal
   as it was when mailsh started (echo back on after a password prompt or the line editor). Only async-signal-safe
   calls. Nothing uncommitted reaches the store: SQLite drops an uncommitted transaction when the file is next
   opened, PostgreSQL when the connection drops. */
static inline void CMailsh_on_quit(int signal) {
    (void)signal;
    static const char message[] = "\nmailsh: quit (Ctrl-\\): stopped at once; the store keeps only what was "
                                  "already committed\n";
    if (*CMailsh_have_start_terminal()) tcsetattr(STDIN_FILENO, TCSANOW, CMailsh_start_terminal());
    ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
    (void)ignored;
    _exit(128 + SIGQUIT);
}

/* Installs CMailsh_on_quit for SIGQUIT, in place of the default action (a core dump) and of the Swift runtime's
   crash reporter (which prints a backtrace, the registers and the memory they point at). 0, or -1 with errno.
   Only ProcessGuard.swift calls these functions, so its copy of the handler and of the saved terminal is the one. */
static inline int CMailsh_end_at_once_on_quit(void) {
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, CMailsh_start_terminal()) == 0) {
        *CMailsh_have_start_terminal() = 1;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = CMailsh_on_quit;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    return sigaction(SIGQUIT, &action, NULL);
}
#endif
