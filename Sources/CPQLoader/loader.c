/* The libpq functions MailshPostgres calls, each forwarding to libpq.so.5, which the first call opens (dlopen): only a
   process that opens a PostgreSQL store loads libpq. A function called for the first time must be added here: the link
   fails until it is. */
#include "CPQLoader.h"
#include "lazy_library.h"

LAZY_LIBRARY("libpq.so.5", "Debian's libpq5")

#define REAL(name) LAZY_REAL(name)
#define SLOT(name) LAZY_SLOT(name)

void CMailshPQ_dropNotice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/* Connecting */
SLOT(PQconnectStart);
PGconn *PQconnectStart(const char *conninfo) { return REAL(PQconnectStart)(conninfo); }
SLOT(PQconnectPoll);
PostgresPollingStatusType PQconnectPoll(PGconn *conn) { return REAL(PQconnectPoll)(conn); }
SLOT(PQsocket);
int PQsocket(const PGconn *conn) { return REAL(PQsocket)(conn); }
SLOT(PQstatus);
ConnStatusType PQstatus(const PGconn *conn) { return REAL(PQstatus)(conn); }
SLOT(PQerrorMessage);
char *PQerrorMessage(const PGconn *conn) { return REAL(PQerrorMessage)(conn); }
SLOT(PQsetErrorVerbosity);
PGVerbosity PQsetErrorVerbosity(PGconn *conn, PGVerbosity verbosity) {
    return REAL(PQsetErrorVerbosity)(conn, verbosity);
}
SLOT(PQsetNoticeProcessor);
PQnoticeProcessor PQsetNoticeProcessor(PGconn *conn, PQnoticeProcessor proc, void *arg) {
    return REAL(PQsetNoticeProcessor)(conn, proc, arg);
}
SLOT(PQfinish);
void PQfinish(PGconn *conn) { REAL(PQfinish)(conn); }

/* Pipeline mode */
SLOT(PQenterPipelineMode);
int PQenterPipelineMode(PGconn *conn) { return REAL(PQenterPipelineMode)(conn); }
SLOT(PQpipelineSync);
int PQpipelineSync(PGconn *conn) { return REAL(PQpipelineSync)(conn); }
SLOT(PQsendQueryParams);
int PQsendQueryParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                      const char *const *paramValues, const int *paramLengths, const int *paramFormats,
                      int resultFormat) {
    return REAL(PQsendQueryParams)(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,
                                   resultFormat);
}
SLOT(PQgetResult);
PGresult *PQgetResult(PGconn *conn) { return REAL(PQgetResult)(conn); }

/* Results */
SLOT(PQresultStatus);
ExecStatusType PQresultStatus(const PGresult *res) { return REAL(PQresultStatus)(res); }
SLOT(PQresultErrorField);
char *PQresultErrorField(const PGresult *res, int fieldcode) { return REAL(PQresultErrorField)(res, fieldcode); }
SLOT(PQresultErrorMessage);
char *PQresultErrorMessage(const PGresult *res) { return REAL(PQresultErrorMessage)(res); }
SLOT(PQclear);
void PQclear(PGresult *res) { REAL(PQclear)(res); }
SLOT(PQntuples);
int PQntuples(const PGresult *res) { return REAL(PQntuples)(res); }
SLOT(PQnfields);
int PQnfields(const PGresult *res) { return REAL(PQnfields)(res); }
SLOT(PQfname);
char *PQfname(const PGresult *res, int field_num) { return REAL(PQfname)(res, field_num); }
SLOT(PQftype);
Oid PQftype(const PGresult *res, int field_num) { return REAL(PQftype)(res, field_num); }
SLOT(PQgetvalue);
char *PQgetvalue(const PGresult *res, int tup_num, int field_num) { return REAL(PQgetvalue)(res, tup_num, field_num); }
SLOT(PQgetlength);
int PQgetlength(const PGresult *res, int tup_num, int field_num) { return REAL(PQgetlength)(res, tup_num, field_num); }
SLOT(PQgetisnull);
int PQgetisnull(const PGresult *res, int tup_num, int field_num) { return REAL(PQgetisnull)(res, tup_num, field_num); }
SLOT(PQcmdStatus);
char *PQcmdStatus(PGresult *res) { return REAL(PQcmdStatus)(res); }
SLOT(PQcmdTuples);
char *PQcmdTuples(PGresult *res) { return REAL(PQcmdTuples)(res); }
