#ifndef MAILSH_CLUABRIDGE_INTERNAL_H
#define MAILSH_CLUABRIDGE_INTERNAL_H
/*
 * Shared between the bridge's C files (not part of the interface Swift sees).
 */
#include "CLuaBridge.h"

#include <lua5.4/lua.h>
#include <stdint.h>

/* The context of a state (kept in its extra space). */
CMailshLuaBridge_Context *CMailshLuaBridge_contextOf(lua_State *L);

/* Whether the script must stop (a budget spent, the deadline passed, Ctrl-C): sets `context->stop` when it
   finds a new reason. */
int CMailshLuaBridge_checkStop(CMailshLuaBridge_Context *context);

/* Raises the stop as the count hook does, after arming the hook to fire on every instruction (so that a
   `pcall` that catches the error cannot run on). Only from a lua_CFunction that Lua called. */
int CMailshLuaBridge_raiseStop(lua_State *L);

/* Replaces the library functions that can loop for long without returning to the VM (string.rep,
   string.find/match/gmatch/gsub, table.move/insert/remove/concat/sort) with versions that charge the instruction
   budget as they work and stop with the script. Runs inside the protected set-up. */
void CMailshLuaBridge_openBounded(lua_State *L);

/* Work done in C on the script's behalf, charged to the instruction budget. Every WORK_CHECK units the budgets,
   the deadline and Ctrl-C are looked at, and the script is stopped there if one of them says so. */
#define CMAILSH_WORK_CHECK 4096u

typedef struct CMailshWork {
    lua_State *L;
    CMailshLuaBridge_Context *context;
    uint64_t pending;
} CMailshWork;

void CMailshLuaBridge_settleWork(CMailshWork *work);

static inline void CMailshWork_init(CMailshWork *work, lua_State *L) {
    work->L = L;
    work->context = CMailshLuaBridge_contextOf(L);
    work->pending = 0;
}

static inline void CMailshWork_charge(CMailshWork *work, uint64_t units) {
    work->pending += units;
    if (work->pending >= CMAILSH_WORK_CHECK) CMailshLuaBridge_settleWork(work);
}

/* Adds what is pending to the count without looking at the budgets (the hook will). */
static inline void CMailshWork_done(CMailshWork *work) {
    work->context->instructions += work->pending;
    work->pending = 0;
}

#endif
