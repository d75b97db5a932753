#ifndef MAILSH_CPQLOADER_H
#define MAILSH_CPQLOADER_H
/* libpq, PostgreSQL's own C client (Debian's libpq-dev for this header, libpq5 at run time), for MailshPostgres only.
   Nothing links libpq: loader.c defines each function MailshPostgres calls as a forward to libpq.so.5, which the first
   call opens (dlopen), so a mailsh process that never opens a PostgreSQL store never loads libpq, nor the OpenSSL,
   Kerberos and LDAP libraries behind it. */
#include <postgresql/libpq-fe.h>

/* A notice processor that drops the server's notices and warnings (libpq's default prints them on standard error,
   such as "there is no transaction in progress" for a ROLLBACK after a failed COMMIT). */
void CMailshPQ_dropNotice(void *arg, const char *message);
#endif
