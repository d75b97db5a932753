/*
 * The C side of mailsh's Lua host; see CLuaBridge.h for the rule it exists for.
 *
 * Every function here that may raise a Lua error is either a lua_CFunction that Lua called (so only C frames sit
 * between it and Lua's own setjmp), or runs inside lua_pcall. Functions Swift calls directly never raise.
 */
#include "internal.h"

#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Room granted past the memory budget once a script is stopped, to unwind and report. */
#define REPORT_RESERVE ((size_t)1 << 20)
/* Refused allocations that a script may survive (by catching the error) before it is stopped. */
#define MAX_REFUSALS 16
/* How often (in instructions) the hook looks at the budgets and the Ctrl-C flag. */
#define HOOK_STEP 1000
/* Host classes: index 1... of these keys names a class's metatable in the registry (and so does the context's
   integer reference, which is found faster: pushClassMetatable). */
#define MAX_CLASSES CMailshLuaBridge_MAX_CLASSES

static CMailshLuaBridge_Dispatch dispatchFunction;
static CMailshLuaBridge_Write writeFunction;
static CMailshLuaBridge_Retain retainFunction;
static CMailshLuaBridge_Retain releaseFunction;

static char classKeys[MAX_CLASSES];
static char classNameStorage[MAX_CLASSES][32];
static const char *classNames[MAX_CLASSES];
static char refusalKey;
static char reportKey;

/* The userdata of a host object. */
typedef struct Box {
    void *object;
    int cls;
    uint32_t bytes;
} Box;

CMailshLuaBridge_Context *CMailshLuaBridge_contextOf(lua_State *L) {
    return *(CMailshLuaBridge_Context **)lua_getextraspace(L);
}

#define contextOf CMailshLuaBridge_contextOf

/* Pushes the metatable of host class `cls` (1 to MAX_CLASSES - 1), or nil when the class is not defined. Never
   raises. */
static inline int pushClassMetatable(lua_State *L, CMailshLuaBridge_Context *context, int cls) {
    int reference = context->classReferences[cls];
    if (reference <= 0) {
        /* Not defined (index 0 of the registry may hold luaL_ref's free list). */
        lua_pushnil(L);
        return LUA_TNIL;
    }
    return lua_rawgeti(L, LUA_REGISTRYINDEX, reference);
}

void CMailshLuaBridge_setCallbacks(CMailshLuaBridge_Dispatch dispatch, CMailshLuaBridge_Write write,
                                   CMailshLuaBridge_Retain retain, CMailshLuaBridge_Retain release) {
    dispatchFunction = dispatch;
    writeFunction = write;
    retainFunction = retain;
    releaseFunction = release;
}

int CMailshLuaBridge_version(void) { return LUA_VERSION_NUM; }

double CMailshLuaBridge_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* MARK: - Ctrl-C */

static volatile sig_atomic_t interruptFlag;
/* Set while a script's outermost call runs (the Lua state may be deep inside a C function). */
static volatile sig_atomic_t scriptRunning;
static int catchDepth;
static struct sigaction previousAction;
static struct sigaction previousQuitAction;

/* Ends the process at once, from a signal handler or the watchdog: only async-signal-safe calls. The script's
   transaction was never committed, so the store keeps what it had (SQLite discards an uncommitted transaction
   when the next process opens the file; PostgreSQL when the connection drops). */
static void endProcess(const char *message, int status) {
    ssize_t ignored = write(STDERR_FILENO, message, strlen(message));
    (void)ignored;
    _exit(status);
}

static void onInterrupt(int signal) {
    (void)signal;
    if (interruptFlag && scriptRunning) {
        /* A second Ctrl-C while the script has not stopped: a call that does not return to Lua. */
        endProcess("\nmailsh: interrupted (Ctrl-C twice): the script was ended inside a call that did not return; "
                   "nothing was changed\n", 130);
    }
    interruptFlag = 1;
}

/* Ctrl-\ (SIGQUIT): the end at once that a second Ctrl-C is, in one key, whether or not the script is inside a
   call that returns. Never a core dump (nor the Swift runtime's crash report, which would show memory). */
static void onQuit(int signal) {
    (void)signal;
    if (scriptRunning) {
        endProcess("\nmailsh: quit (Ctrl-\\): the script was ended at once; nothing was changed: its transaction "
                   "was never committed\n", 128 + SIGQUIT);
    }
    endProcess("\nmailsh: quit (Ctrl-\\): stopped at once; the store keeps only what was already committed\n",
               128 + SIGQUIT);
}

void CMailshLuaBridge_catchInterrupts(void) {
    if (catchDepth++ > 0) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART; /* the hook polls the flag; system calls need not fail */
    sigaction(SIGINT, &action, &previousAction);
    action.sa_handler = onQuit;
    sigaction(SIGQUIT, &action, &previousQuitAction);
}

void CMailshLuaBridge_releaseInterrupts(void) {
    if (catchDepth == 0 || --catchDepth > 0) return;
    sigaction(SIGINT, &previousAction, NULL);
    sigaction(SIGQUIT, &previousQuitAction, NULL);
}

void CMailshLuaBridge_setInterrupted(int value) { interruptFlag = value ? 1 : 0; }

int CMailshLuaBridge_interrupted(void) { return interruptFlag; }

/* MARK: - Memory budget */

/* The small blocks: up to SMALL_MAX bytes, allocated with the whole of their class (a multiple of SMALL_STEP), so a
   freed one serves any later request of its class. Lua gives every block's size when it frees or resizes it, so
   the class of a block is known from its size alone. At most SMALL_CACHE bytes are kept; the rest go to free. */
#define SMALL_STEP 16
#define SMALL_MAX (SMALL_STEP * CMailshLuaBridge_SMALL_CLASSES)
#define SMALL_CACHE ((size_t)1 << 20)

/* The class of a small block of `size` bytes (1 to SMALL_MAX): 0 for 1-16 bytes, 1 for 17-32, ... */
static inline size_t smallClass(size_t size) { return (size - 1) / SMALL_STEP; }

static void *smallTake(CMailshLuaBridge_Context *context, size_t size) {
    size_t cls = smallClass(size);
    void *block = context->smallBlocks[cls];
    if (block == NULL) return malloc((cls + 1) * SMALL_STEP);
    context->smallBlocks[cls] = *(void **)block;
    context->smallBlockBytes -= (cls + 1) * SMALL_STEP;
    return block;
}

static void smallGive(CMailshLuaBridge_Context *context, void *block, size_t size) {
    size_t cls = smallClass(size);
    size_t bytes = (cls + 1) * SMALL_STEP;
    if (context->smallBlockBytes + bytes > SMALL_CACHE) {
        free(block);
        return;
    }
    *(void **)block = context->smallBlocks[cls];
    context->smallBlocks[cls] = block;
    context->smallBlockBytes += bytes;
}

/* Frees the small blocks kept (after lua_close, which gives every block back). */
static void smallDrain(CMailshLuaBridge_Context *context) {
    for (int cls = 0; cls < CMailshLuaBridge_SMALL_CLASSES; cls++) {
        void *block = context->smallBlocks[cls];
        while (block != NULL) {
            void *next = *(void **)block;
            free(block);
            block = next;
        }
        context->smallBlocks[cls] = NULL;
    }
    context->smallBlockBytes = 0;
}

/* realloc for Lua's blocks: small ones from and to their class's list, others through malloc. */
static void *resized(CMailshLuaBridge_Context *context, void *block, size_t old, size_t nsize) {
    if (block == NULL) return nsize <= SMALL_MAX ? smallTake(context, nsize) : malloc(nsize);
    if (old > SMALL_MAX && nsize > SMALL_MAX) return realloc(block, nsize);
    if (old <= SMALL_MAX && nsize <= SMALL_MAX && smallClass(old) == smallClass(nsize)) return block;
    void *result = nsize <= SMALL_MAX ? smallTake(context, nsize) : malloc(nsize);
    if (result == NULL) return NULL;
    memcpy(result, block, old < nsize ? old : nsize);
    if (old <= SMALL_MAX) smallGive(context, block, old); else free(block);
    return result;
}

/* budgetAlloc's every case (its fast paths, below, are the two commonest cases of this, done the same way). */
static __attribute__((noinline)) void *budgetAllocAny(void *ud, void *block, size_t osize, size_t nsize) {
    CMailshLuaBridge_Context *context = ud;
    size_t old = block ? osize : 0; /* for a new block, osize is a type tag */
    if (nsize == 0) {
        if (block) {
            if (old <= SMALL_MAX) smallGive(context, block, old); else free(block);
            context->memoryUsed -= old;
        }
        return NULL;
    }
    if (nsize > old && context->memoryLimit) {
        size_t after = context->memoryUsed - old + nsize + context->memoryExternal;
        if (after > context->memoryLimit + context->memorySlack) {
            /* The budget is spent, and the script stops (the hook sees to it that pcall cannot continue), when
               Lua asks again after its emergency collection and is refused again; when one request is an
               eighth of the budget or more (a bomb, which no collection would make room for); or after a few
               refusals that the script caught. */
            context->refusals++;
            if (context->stop == CMailshLuaBridge_RUNNING
                && ((context->refusedPending && context->refusedBlock == block && context->refusedSize == nsize)
                    || nsize - old >= context->memoryLimit / 8 || context->refusals >= MAX_REFUSALS)) {
                context->stop = CMailshLuaBridge_STOP_MEMORY;
                context->memorySlack = REPORT_RESERVE;
            }
            context->refusedPending = 1;
            context->refusedBlock = block;
            context->refusedSize = nsize;
            return NULL;
        }
    }
    void *result = resized(context, block, old, nsize);
    if (result == NULL) return NULL;
    if (nsize > old) context->refusedPending = 0;
    context->memoryUsed = context->memoryUsed - old + nsize;
    if (context->memoryUsed + context->memoryExternal > context->memoryPeak) {
        context->memoryPeak = context->memoryUsed + context->memoryExternal;
    }
    return result;
}

/* Lua's allocator: blocks counted against the memory budget, small ones kept for reuse (see resized). The two
   commonest requests are served here without a call: a small block freed while the cache has room, and a new small
   block taken from its class's list within the budget; each does exactly what budgetAllocAny does for it. */
static void *budgetAlloc(void *ud, void *block, size_t osize, size_t nsize) {
    CMailshLuaBridge_Context *context = ud;
    if (nsize == 0) {
        if (block != NULL && osize <= SMALL_MAX) {
            size_t cls = smallClass(osize);
            size_t bytes = (cls + 1) * SMALL_STEP;
            if (context->smallBlockBytes + bytes <= SMALL_CACHE) {
                *(void **)block = context->smallBlocks[cls];
                context->smallBlocks[cls] = block;
                context->smallBlockBytes += bytes;
                context->memoryUsed -= osize;
                return NULL;
            }
        }
    } else if (block == NULL && nsize <= SMALL_MAX) {
        size_t cls = smallClass(nsize);
        void *taken = context->smallBlocks[cls];
        if (taken != NULL && (context->memoryLimit == 0
                              || context->memoryUsed + nsize + context->memoryExternal
                                     <= context->memoryLimit + context->memorySlack)) {
            context->smallBlocks[cls] = *(void **)taken;
            context->smallBlockBytes -= (cls + 1) * SMALL_STEP;
            context->refusedPending = 0;
            context->memoryUsed += nsize;
            if (context->memoryUsed + context->memoryExternal > context->memoryPeak) {
                context->memoryPeak = context->memoryUsed + context->memoryExternal;
            }
            return taken;
        }
    }
    return budgetAllocAny(ud, block, osize, nsize);
}

/* MARK: - Stops */

static const char *stopMessage(int stop) {
    switch (stop) {
    case CMailshLuaBridge_STOP_INSTRUCTIONS:
        return "stopped: the script used up its instruction budget (--max-instructions)";
    case CMailshLuaBridge_STOP_MEMORY: return "stopped: the script used up its memory budget (--max-memory)";
    case CMailshLuaBridge_STOP_TIMEOUT: return "stopped: the script ran out of time (--timeout)";
    case CMailshLuaBridge_STOP_INTERRUPT: return "interrupted (Ctrl-C)";
    default: return "stopped: the script has ended";
    }
}

int CMailshLuaBridge_checkStop(CMailshLuaBridge_Context *context) {
    if (context->stop != CMailshLuaBridge_RUNNING) return 1;
    if (interruptFlag) {
        context->stop = CMailshLuaBridge_STOP_INTERRUPT;
    } else if (context->instructionLimit && context->instructions >= context->instructionLimit) {
        context->stop = CMailshLuaBridge_STOP_INSTRUCTIONS;
    } else if (context->deadline > 0 && CMailshLuaBridge_now() > context->deadline) {
        context->stop = CMailshLuaBridge_STOP_TIMEOUT;
    }
    if (context->stop != CMailshLuaBridge_RUNNING) {
        context->memorySlack = REPORT_RESERVE;
        return 1;
    }
    return 0;
}

#define checkStop CMailshLuaBridge_checkStop

static void budgetHook(lua_State *L, lua_Debug *ar);

static int raiseStopAt(lua_State *L, int level) {
    CMailshLuaBridge_Context *context = contextOf(L);
    lua_sethook(L, budgetHook, LUA_MASKCOUNT, 1);
    luaL_where(L, level);
    lua_pushstring(L, stopMessage(context->stop));
    lua_concat(L, 2);
    return lua_error(L);
}

int CMailshLuaBridge_raiseStop(lua_State *L) { return raiseStopAt(L, 1); }

/* The count hook: counts instructions and, once a budget is spent or Ctrl-C was pressed, raises on every
   instruction from then on, so that a `pcall` that catches the error cannot run on. */
static void budgetHook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    CMailshLuaBridge_Context *context = contextOf(L);
    if (context->stop == CMailshLuaBridge_RUNNING) {
        context->instructions += (uint64_t)context->hookStep;
        if (!checkStop(context)) return;
    }
    raiseStopAt(L, 0);
}

int CMailshLuaBridge_stopped(CMailshLuaBridge_Context *context) {
    checkStop(context);
    return context->stop;
}

/* MARK: - Trampolines */

static void *receiverOf(lua_State *L, int cls) {
    void *userdata = lua_touserdata(L, 1);
    int matches = 0;
    if (userdata && lua_getmetatable(L, 1)) {
        pushClassMetatable(L, contextOf(L), cls);
        matches = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    if (!matches) {
        luaL_typeerror(L, 1, classNames[cls]);
    }
    Box *box = userdata;
    if (box->object == NULL) {
        luaL_error(L, "this %s object is no longer valid", classNames[cls]);
    }
    return box->object;
}

/* Releases a host object Swift returned that never got its userdata (making it raised). */
static void releasePendingObject(CMailshLuaBridge_Context *context) {
    void *object = context->pendingObject;
    if (object == NULL) return;
    context->pendingObject = NULL;
    releaseFunction(object);
}

/* Pushes the host object Swift returned (CMailshLuaBridge_OBJECT) as a userdata of its class. Only from a
   lua_CFunction that Lua called: making the userdata may raise ("not enough memory"), and then the object stays
   pending until the next call or the closing of the state releases it. */
static int pushPendingObject(lua_State *L, CMailshLuaBridge_Context *context) {
    int cls = context->pendingClass;
    if (cls <= 0 || cls >= MAX_CLASSES || context->pendingObject == NULL) {
        releasePendingObject(context);
        return luaL_error(L, "mailsh: bad host object");
    }
    Box *box = lua_newuserdatauv(L, sizeof(Box), 0);
    box->object = NULL;
    box->cls = cls;
    box->bytes = 0;
    pushClassMetatable(L, context, cls);
    lua_setmetatable(L, -2);
    /* Nothing below can fail: the userdata takes over the retain Swift made for it. */
    box->object = context->pendingObject;
    context->pendingObject = NULL;
    box->bytes = context->pendingBytes;
    context->memoryExternal += context->pendingBytes;
    return 1;
}

/* Calls Swift function `function` and turns its markers into Lua errors, here, where only C frames are left. */
static int callHost(lua_State *L, int function, int cls) {
    CMailshLuaBridge_Context *context = contextOf(L);
    if (context->busy) {
        return luaL_error(L, "mailsh functions cannot be called from a __gc metamethod");
    }
    if (checkStop(context)) return raiseStopAt(L, 1);
    releasePendingObject(context);
    void *receiver = cls ? receiverOf(L, cls) : NULL;
    int result = dispatchFunction(L, context->host, function, receiver);
    if (result >= 0) return result;
    switch (result) {
    case CMailshLuaBridge_OBJECT:
        return pushPendingObject(L, context);
    case CMailshLuaBridge_RAISE_WHERE:
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
        break;
    case CMailshLuaBridge_REFUSE:
        /* Remember where the refusal happened: if nothing catches it, the report names this line, even when
           the error travelled through `mail.transaction` and lost its stack on the way. */
        lua_createtable(L, 3, 0);
        lua_pushvalue(L, -2);
        lua_rawseti(L, -2, 1);
        luaL_where(L, 1);
        lua_rawseti(L, -2, 2);
        luaL_traceback(L, L, NULL, 0);
        lua_rawseti(L, -2, 3);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &refusalKey);
        break;
    case CMailshLuaBridge_STACK_OVERFLOW:
        return luaL_error(L, "stack overflow (a result too large to return)");
    default:
        break;
    }
    return lua_error(L);
}

static int functionTrampoline(lua_State *L) {
    return callHost(L, (int)lua_tointeger(L, lua_upvalueindex(1)), 0);
}

static int methodTrampoline(lua_State *L) {
    return callHost(L, (int)lua_tointeger(L, lua_upvalueindex(1)), (int)lua_tointeger(L, lua_upvalueindex(2)));
}

/* __index of a host class: a method from the methods table (upvalue 1), else a field through Swift. */
static int objectIndex(lua_State *L) {
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    return callHost(L, (int)lua_tointeger(L, lua_upvalueindex(2)), (int)lua_tointeger(L, lua_upvalueindex(3)));
}

static int objectNewIndex(lua_State *L) {
    int cls = (int)lua_tointeger(L, lua_upvalueindex(1));
    return luaL_error(L, "%s fields are read-only; change them with its methods (such as %s:set{...})",
                      classNames[cls], classNames[cls]);
}

static int objectGC(lua_State *L) {
    Box *box = lua_touserdata(L, 1);
    if (box && box->object) {
        void *object = box->object;
        box->object = NULL;
        contextOf(L)->memoryExternal -= box->bytes;
        box->bytes = 0;
        releaseFunction(object);
    }
    return 0;
}

static int readOnlyNewIndex(lua_State *L) {
    return luaL_error(L, "this table is a read-only view; change an account with acct:set{...}");
}

/* __index of a strict read-only view: upvalues data, known names (a set), label. A known name without a value is
   nil; any other name is an error naming it, at the reading line. */
static int readOnlyStrictIndex(lua_State *L) {
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL) {
        lua_pushnil(L);
        return 1;
    }
    lua_pop(L, 1);
    luaL_checkstack(L, 8, NULL);
    luaL_where(L, 2);
    lua_pushvalue(L, lua_upvalueindex(3));
    lua_pushliteral(L, " has no field ");
    if (lua_type(L, 2) == LUA_TSTRING) {
        lua_pushfstring(L, "\"%s\"", lua_tostring(L, 2));
    } else {
        lua_pushfstring(L, "of type %s", luaL_typename(L, 2));
    }
    lua_pushliteral(L, "; fields:");
    lua_concat(L, 5);
    lua_pushnil(L);
    while (lua_next(L, lua_upvalueindex(2))) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            lua_pushvalue(L, 3);
            lua_pushliteral(L, " ");
            lua_pushvalue(L, -3);
            lua_concat(L, 3);
            lua_replace(L, 3);
        }
    }
    return lua_error(L);
}

static int rawNext(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (lua_next(L, 1)) return 2;
    lua_pushnil(L);
    return 1;
}

static int readOnlyPairs(lua_State *L) {
    lua_pushcfunction(L, rawNext);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushnil(L);
    return 3;
}

static int readOnlyLength(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, lua_upvalueindex(1)));
    return 1;
}

/* `print` and `mail.log`: arguments through tostring, separated by tabs, to the write callback. */
static int writeArguments(lua_State *L, int stream) {
    int count = lua_gettop(L);
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    for (int index = 1; index <= count; index++) {
        if (index > 1) luaL_addchar(&buffer, '\t');
        luaL_tolstring(L, index, NULL);
        luaL_addvalue(&buffer);
    }
    luaL_pushresult(&buffer);
    size_t length;
    const char *text = lua_tolstring(L, -1, &length);
    writeFunction(contextOf(L)->host, stream, text, length);
    return 0;
}

static int hostPrint(lua_State *L) { return writeArguments(L, CMailshLuaBridge_PRINT); }

static int hostLog(lua_State *L) {
    CMailshLuaBridge_Context *context = contextOf(L);
    if (context->busy) return luaL_error(L, "mailsh functions cannot be called from a __gc metamethod");
    return writeArguments(L, CMailshLuaBridge_LOG);
}

/* `load` limited to text chunks: the mode argument is forced to "t". */
static int textLoad(lua_State *L) {
    int count = lua_gettop(L);
    if (count < 3) lua_settop(L, 3);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, count < 3 ? 3 : count, LUA_MULTRET);
    return lua_gettop(L);
}

/* Lua runs message handlers and finalizers with hooks off, so they could run on after a budget is spent:
   a script's xpcall handler is skipped once the script is stopped, and scripts get no __gc metamethods. */
static int guardedHandler(lua_State *L) {
    if (contextOf(L)->stop != CMailshLuaBridge_RUNNING) {
        lua_settop(L, 1);
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int finishCall(lua_State *L, int status, lua_KContext extra) {
    (void)status;
    (void)extra;
    return lua_gettop(L);
}

static int guardedXpcall(lua_State *L) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guardedHandler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, finishCall);
    return finishCall(L, LUA_OK, 0);
}

static int guardedSetmetatable(lua_State *L) {
    int type = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table");
    if (type == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL) {
            return luaL_error(L, "__gc metamethods are not available to mailsh scripts");
        }
        lua_pop(L, 1);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* Host tables (`mail`, `mail.account`, …) refuse new keys and hide their metatable. */
static int moduleNewIndex(lua_State *L) {
    return luaL_error(L, "cannot add %s to a mailsh module table", luaL_tolstring(L, 2, NULL));
}

/* MARK: - Opening and closing */

static int openSandbox(lua_State *L) {
    static const luaL_Reg libraries[] = {
        {LUA_GNAME, luaopen_base},       {LUA_COLIBNAME, luaopen_coroutine}, {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},   {LUA_UTF8LIBNAME, luaopen_utf8},
        {NULL, NULL},
    };
    for (const luaL_Reg *library = libraries; library->func; library++) {
        luaL_requiref(L, library->name, library->func, 1);
        lua_pop(L, 1);
    }
    /* os: time, clock and date only. */
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_createtable(L, 0, 3);
    static const char *const osNames[] = {"time", "clock", "date", NULL};
    for (const char *const *name = osNames; *name; name++) {
        lua_getfield(L, -2, *name);
        lua_setfield(L, -2, *name);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, LUA_OSLIBNAME);
    lua_pop(L, 1);
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);
    /* Nothing that reads files or loads bytecode. */
    static const char *const removed[] = {"dofile", "loadfile", "warn", NULL};
    for (const char *const *name = removed; *name; name++) {
        lua_pushnil(L);
        lua_setglobal(L, *name);
    }
    CMailshLuaBridge_openBounded(L);
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_getglobal(L, "load");
    lua_pushcclosure(L, textLoad, 1);
    lua_setglobal(L, "load");
    lua_getglobal(L, "xpcall");
    lua_pushcclosure(L, guardedXpcall, 1);
    lua_setglobal(L, "xpcall");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, guardedSetmetatable, 1);
    lua_setglobal(L, "setmetatable");
    lua_pushcfunction(L, hostPrint);
    lua_setglobal(L, "print");
    /* The report slots exist from the start, so that resetting them later never allocates. */
    lua_pushboolean(L, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &reportKey);
    lua_pushboolean(L, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &refusalKey);
    /* The shared metatable of module tables. */
    luaL_newmetatable(L, "mailsh.module");
    lua_pushcfunction(L, moduleNewIndex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    return 0;
}

lua_State *CMailshLuaBridge_open(CMailshLuaBridge_Context *context) {
    lua_State *L = lua_newstate(budgetAlloc, context);
    if (L == NULL) {
        smallDrain(context);
        return NULL;
    }
    *(CMailshLuaBridge_Context **)lua_getextraspace(L) = context;
    if (context->hookStep <= 0) context->hookStep = HOOK_STEP;
    lua_pushcfunction(L, openSandbox);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        smallDrain(context);
        return NULL;
    }
    lua_sethook(L, budgetHook, LUA_MASKCOUNT, context->hookStep);
    return L;
}

void CMailshLuaBridge_close(lua_State *L) {
    if (L == NULL) return;
    CMailshLuaBridge_Context *context = contextOf(L);
    /* Finalizers written in Lua get no time: the hook raises on their first counted instruction. */
    context->stop = CMailshLuaBridge_STOP_CLOSING;
    context->memorySlack = REPORT_RESERVE;
    lua_sethook(L, budgetHook, LUA_MASKCOUNT, 1);
    lua_close(L);
    smallDrain(context);
    releasePendingObject(context);
}

/* MARK: - Set-up (protected) */

typedef struct Definition {
    int cls;
    const char *name;
    int function;
    int getter;
    int tostring;
    int equal;
} Definition;

static int protectedCall(lua_State *L, lua_CFunction function, void *argument, int results) {
    if (!lua_checkstack(L, 3)) return LUA_ERRMEM;
    lua_pushcfunction(L, function);
    lua_pushlightuserdata(L, argument);
    int status = lua_pcall(L, 1, results, 0);
    return status;
}

static int defineClassBody(lua_State *L) {
    Definition *definition = lua_touserdata(L, 1);
    int cls = definition->cls;
    strncpy(classNameStorage[cls], definition->name, sizeof classNameStorage[cls] - 1);
    classNames[cls] = classNameStorage[cls];
    lua_createtable(L, 0, 8);
    lua_pushstring(L, definition->name);
    lua_setfield(L, -2, "__name");
    lua_createtable(L, 0, 16); /* methods */
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "mailsh.methods"); /* found again by defineMethod and introspection */
    lua_pushinteger(L, definition->getter);
    lua_pushinteger(L, cls);
    lua_pushcclosure(L, objectIndex, 3);
    lua_setfield(L, -2, "__index");
    lua_pushinteger(L, cls);
    lua_pushcclosure(L, objectNewIndex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, objectGC);
    lua_setfield(L, -2, "__gc");
    lua_pushinteger(L, definition->tostring);
    lua_pushinteger(L, cls);
    lua_pushcclosure(L, methodTrampoline, 2);
    lua_setfield(L, -2, "__tostring");
    lua_pushinteger(L, definition->equal);
    lua_pushinteger(L, cls);
    lua_pushcclosure(L, methodTrampoline, 2);
    lua_setfield(L, -2, "__eq");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    /* By an integer reference too (a class defined again replaces its metatable there as well). */
    CMailshLuaBridge_Context *context = contextOf(L);
    lua_pushvalue(L, -1);
    if (context->classReferences[cls] > 0) {
        lua_rawseti(L, LUA_REGISTRYINDEX, context->classReferences[cls]);
    } else {
        context->classReferences[cls] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &classKeys[cls]);
    return 0;
}

int CMailshLuaBridge_defineClass(lua_State *L, int cls, const char *name, int getter, int tostring, int equal) {
    if (cls <= 0 || cls >= MAX_CLASSES) return -1;
    Definition definition = {cls, name, 0, getter, tostring, equal};
    return protectedCall(L, defineClassBody, &definition, 0);
}

/* Pushes the table at the dotted path's parent (creating module tables on the way) and returns the last part. */
static const char *pushParent(lua_State *L, const char *path) {
    lua_pushglobaltable(L);
    const char *part = path;
    const char *dot;
    while ((dot = strchr(part, '.')) != NULL) {
        lua_pushlstring(L, part, (size_t)(dot - part));
        if (lua_rawget(L, -2) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            luaL_setmetatable(L, "mailsh.module");
            lua_pushlstring(L, part, (size_t)(dot - part));
            lua_pushvalue(L, -2);
            lua_rawset(L, -4);
            /* Known to tracebacks and argument errors by its dotted name ("mail.account"). */
            lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
            lua_pushlstring(L, path, (size_t)(dot - path));
            lua_pushvalue(L, -3);
            lua_rawset(L, -3);
            lua_pop(L, 1);
        }
        lua_remove(L, -2);
        part = dot + 1;
    }
    return part;
}

static int defineFunctionBody(lua_State *L) {
    Definition *definition = lua_touserdata(L, 1);
    const char *name = pushParent(L, definition->name);
    lua_pushstring(L, name);
    lua_pushinteger(L, definition->function);
    lua_pushcclosure(L, functionTrampoline, 1);
    lua_rawset(L, -3); /* raw: module tables refuse new keys from scripts */
    return 0;
}

int CMailshLuaBridge_defineFunction(lua_State *L, const char *path, int function) {
    Definition definition = {0, path, function, 0, 0, 0};
    return protectedCall(L, defineFunctionBody, &definition, 0);
}

static int defineBuiltinBody(lua_State *L) {
    Definition *definition = lua_touserdata(L, 1);
    const char *name = pushParent(L, definition->name);
    lua_pushstring(L, name);
    switch (definition->function) {
    case CMailshLuaBridge_BUILTIN_LOG: lua_pushcfunction(L, hostLog); break;
    default: return luaL_error(L, "unknown builtin %d", definition->function);
    }
    lua_rawset(L, -3);
    return 0;
}

int CMailshLuaBridge_defineBuiltin(lua_State *L, const char *path, int builtin) {
    Definition definition = {0, path, builtin, 0, 0, 0};
    return protectedCall(L, defineBuiltinBody, &definition, 0);
}

static int defineMethodBody(lua_State *L) {
    Definition *definition = lua_touserdata(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &classKeys[definition->cls]);
    lua_getfield(L, -1, "mailsh.methods");
    lua_pushinteger(L, definition->function);
    lua_pushinteger(L, definition->cls);
    lua_pushcclosure(L, methodTrampoline, 2);
    lua_setfield(L, -2, definition->name);
    return 0;
}

int CMailshLuaBridge_defineMethod(lua_State *L, int cls, const char *name, int function) {
    if (cls <= 0 || cls >= MAX_CLASSES) return -1;
    Definition definition = {cls, name, function, 0, 0, 0};
    return protectedCall(L, defineMethodBody, &definition, 0);
}

static int setPathBody(lua_State *L) {
    Definition *definition = lua_touserdata(L, 1);
    /* The value is the function's second argument. */
    const char *name = pushParent(L, definition->name);
    lua_pushstring(L, name);
    lua_pushvalue(L, 2);
    lua_rawset(L, -3);
    return 0;
}

int CMailshLuaBridge_setPath(lua_State *L, const char *path) {
    Definition definition = {0, path, 0, 0, 0, 0};
    if (!lua_checkstack(L, 3)) return LUA_ERRMEM;
    lua_pushcfunction(L, setPathBody);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, &definition);
    lua_insert(L, -2);
    return lua_pcall(L, 2, 0, 0);
}

/* MARK: - Push programs */

enum {
    OP_NIL = 1,
    OP_TRUE,
    OP_FALSE,
    OP_INTEGER,
    OP_NUMBER,
    OP_STRING,
    OP_TABLE,
    OP_SET,
    OP_SET_INDEX,
    OP_READ_ONLY,
    OP_READ_ONLY_STRICT,
    OP_OBJECT,
};

static int reserve(CMailshLuaBridge_Context *context, size_t more) {
    size_t needed = context->programLength + more;
    if (needed <= context->programCapacity) return 0;
    size_t capacity = context->programCapacity ? context->programCapacity : 256;
    while (capacity < needed) capacity *= 2;
    unsigned char *program = realloc(context->program, capacity);
    if (program == NULL) return -1;
    context->program = program;
    context->programCapacity = capacity;
    return 0;
}

static int emit(CMailshLuaBridge_Context *context, unsigned char op, const void *payload, size_t length) {
    if (reserve(context, 1 + length)) return -1;
    context->program[context->programLength++] = op;
    if (length) {
        memcpy(context->program + context->programLength, payload, length);
        context->programLength += length;
    }
    return 0;
}

int CMailshLuaBridge_emitNil(CMailshLuaBridge_Context *context) { return emit(context, OP_NIL, NULL, 0); }

int CMailshLuaBridge_emitBoolean(CMailshLuaBridge_Context *context, int value) {
    return emit(context, value ? OP_TRUE : OP_FALSE, NULL, 0);
}

int CMailshLuaBridge_emitInteger(CMailshLuaBridge_Context *context, int64_t value) {
    return emit(context, OP_INTEGER, &value, sizeof value);
}

int CMailshLuaBridge_emitNumber(CMailshLuaBridge_Context *context, double value) {
    return emit(context, OP_NUMBER, &value, sizeof value);
}

int CMailshLuaBridge_emitString(CMailshLuaBridge_Context *context, const char *text, size_t length) {
    if (reserve(context, 1 + sizeof(size_t) + length)) return -1;
    context->program[context->programLength++] = OP_STRING;
    memcpy(context->program + context->programLength, &length, sizeof length);
    context->programLength += sizeof length;
    if (length) memcpy(context->program + context->programLength, text, length);
    context->programLength += length;
    return 0;
}

int CMailshLuaBridge_emitTable(CMailshLuaBridge_Context *context, int narray, int nrecord) {
    int sizes[2] = {narray < 0 ? 0 : narray, nrecord < 0 ? 0 : nrecord};
    return emit(context, OP_TABLE, sizes, sizeof sizes);
}

int CMailshLuaBridge_emitSet(CMailshLuaBridge_Context *context) { return emit(context, OP_SET, NULL, 0); }

int CMailshLuaBridge_emitSetIndex(CMailshLuaBridge_Context *context, int64_t index) {
    return emit(context, OP_SET_INDEX, &index, sizeof index);
}

int CMailshLuaBridge_emitReadOnly(CMailshLuaBridge_Context *context) { return emit(context, OP_READ_ONLY, NULL, 0); }
int CMailshLuaBridge_emitReadOnlyStrict(CMailshLuaBridge_Context *context) {
    return emit(context, OP_READ_ONLY_STRICT, NULL, 0);
}

typedef struct ObjectOp {
    void *object;
    int cls;
    uint32_t bytes;
} ObjectOp;

int CMailshLuaBridge_emitObject(CMailshLuaBridge_Context *context, void *object, int cls, uint32_t bytes) {
    ObjectOp op = {object, cls, bytes};
    return emit(context, OP_OBJECT, &op, sizeof op);
}

/* Fills the metatable on top with what every read-only view has: writes refused, pairs and # over the data at
   absolute index `data` (also kept as __data for the host's JSON writer; scripts never see the metatable). */
static void readOnlyMetatable(lua_State *L, int data) {
    lua_pushcfunction(L, readOnlyNewIndex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, data);
    lua_pushcclosure(L, readOnlyPairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushvalue(L, data);
    lua_pushcclosure(L, readOnlyLength, 1);
    lua_setfield(L, -2, "__len");
    lua_pushvalue(L, data);
    lua_setfield(L, -2, "__data");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
}

static void pushReadOnly(lua_State *L) {
    /* [data] -> [proxy] */
    int data = lua_gettop(L);
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 6);
    lua_pushvalue(L, data);
    lua_setfield(L, -2, "__index");
    readOnlyMetatable(L, data);
    lua_setmetatable(L, -2);
    lua_replace(L, data);
}

static void pushReadOnlyStrict(lua_State *L) {
    /* [data, known, label] -> [proxy] */
    int data = lua_gettop(L) - 2;
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 6);
    lua_pushvalue(L, data);
    lua_pushvalue(L, data + 1);
    lua_pushvalue(L, data + 2);
    lua_pushcclosure(L, readOnlyStrictIndex, 3);
    lua_setfield(L, -2, "__index");
    readOnlyMetatable(L, data);
    lua_setmetatable(L, -2);
    lua_replace(L, data);
    lua_settop(L, data);
}

static int runProgramBody(lua_State *L) {
    CMailshLuaBridge_Context *context = lua_touserdata(L, 1);
    size_t pc = (size_t)lua_tointeger(L, 2);
    lua_settop(L, 0);
    /* Offsets, never pointers: the buffer may move if it grows. */
    while (pc < context->programLength) {
        luaL_checkstack(L, 4, "result too deeply nested");
        unsigned char op = context->program[pc++];
        switch (op) {
        case OP_NIL: lua_pushnil(L); break;
        case OP_TRUE: lua_pushboolean(L, 1); break;
        case OP_FALSE: lua_pushboolean(L, 0); break;
        case OP_INTEGER: {
            int64_t value;
            memcpy(&value, context->program + pc, sizeof value);
            pc += sizeof value;
            lua_pushinteger(L, (lua_Integer)value);
            break;
        }
        case OP_NUMBER: {
            double value;
            memcpy(&value, context->program + pc, sizeof value);
            pc += sizeof value;
            lua_pushnumber(L, (lua_Number)value);
            break;
        }
        case OP_STRING: {
            size_t length;
            memcpy(&length, context->program + pc, sizeof length);
            pc += sizeof length;
            lua_pushlstring(L, (const char *)context->program + pc, length);
            pc += length;
            break;
        }
        case OP_TABLE: {
            int sizes[2];
            memcpy(sizes, context->program + pc, sizeof sizes);
            pc += sizeof sizes;
            lua_createtable(L, sizes[0], sizes[1]);
            break;
        }
        case OP_SET: lua_rawset(L, -3); break;
        case OP_SET_INDEX: {
            int64_t index;
            memcpy(&index, context->program + pc, sizeof index);
            pc += sizeof index;
            lua_rawseti(L, -2, (lua_Integer)index);
            break;
        }
        case OP_READ_ONLY: pushReadOnly(L); break;
        case OP_READ_ONLY_STRICT: pushReadOnlyStrict(L); break;
        case OP_OBJECT: {
            ObjectOp object;
            memcpy(&object, context->program + pc, sizeof object);
            pc += sizeof object;
            Box *box = lua_newuserdatauv(L, sizeof(Box), 0);
            box->object = NULL;
            box->cls = object.cls;
            box->bytes = 0;
            pushClassMetatable(L, context, object.cls);
            lua_setmetatable(L, -2);
            /* Nothing below can fail: only now is the object retained, so an error above leaks nothing. */
            retainFunction(object.object);
            box->object = object.object;
            box->bytes = object.bytes;
            context->memoryExternal += object.bytes;
            break;
        }
        default: return luaL_error(L, "mailsh: bad push program");
        }
    }
    return lua_gettop(L);
}

int CMailshLuaBridge_runProgram(lua_State *L, size_t start) {
    CMailshLuaBridge_Context *context = contextOf(L);
    int top = lua_gettop(L);
    int result;
    if (!lua_checkstack(L, 4)) {
        context->programLength = start;
        return CMailshLuaBridge_STACK_OVERFLOW; /* no room even for an error: the trampoline raises one */
    }
    int wasBusy = context->busy;
    context->busy = 1;
    lua_pushcfunction(L, runProgramBody);
    lua_pushlightuserdata(L, context);
    lua_pushinteger(L, (lua_Integer)start);
    int status = lua_pcall(L, 2, LUA_MULTRET, 0);
    context->busy = wasBusy;
    context->programLength = start;
    result = status == LUA_OK ? lua_gettop(L) - top : -1;
    return result;
}

typedef struct StringArgument {
    const char *text;
    size_t length;
} StringArgument;

static int pushStringBody(lua_State *L) {
    StringArgument *argument = lua_touserdata(L, 1);
    lua_pushlstring(L, argument->text, argument->length);
    return 1;
}

int CMailshLuaBridge_pushString(lua_State *L, const char *text, size_t length) {
    if (!lua_checkstack(L, 3)) return CMailshLuaBridge_STACK_OVERFLOW;
    StringArgument argument = {text ? text : "", length};
    lua_pushcfunction(L, pushStringBody);
    lua_pushlightuserdata(L, &argument);
    return lua_pcall(L, 1, 1, 0) == LUA_OK ? 1 : -1;
}

/* MARK: - Field tables */

/* The value at `index` into `entry` (its key and children untouched): inline in the table walk, once per entry. */
static inline void readFieldValue(lua_State *L, int index, CMailshLuaBridge_FieldEntry *entry) {
    entry->type = lua_type(L, index);
    switch (entry->type) {
    case LUA_TSTRING:
        entry->text = lua_tolstring(L, index, &entry->textLength);
        break;
    case LUA_TNUMBER:
        entry->isInteger = lua_isinteger(L, index);
        if (entry->isInteger) {
            entry->integer = (int64_t)lua_tointegerx(L, index, NULL);
        } else {
            entry->number = (double)lua_tonumberx(L, index, NULL);
        }
        break;
    case LUA_TBOOLEAN:
        entry->boolean = lua_toboolean(L, index);
        break;
    default:
        break;
    }
}

void CMailshLuaBridge_fieldValue(lua_State *L, int index, CMailshLuaBridge_FieldEntry *entry) {
    entry->key = NULL;
    entry->keyLength = 0;
    entry->children = 0;
    readFieldValue(L, index, entry);
}

/* The key and value on top of the stack into `entry`; 0 when the key is not a string or the value is none of
   string, number, boolean, table. */
static inline __attribute__((always_inline)) int readFieldEntry(lua_State *L, CMailshLuaBridge_FieldEntry *entry) {
    if (lua_type(L, -2) != LUA_TSTRING) return 0;
    entry->children = 0;
    readFieldValue(L, -1, entry);
    entry->key = lua_tolstring(L, -2, &entry->keyLength);
    switch (entry->type) {
    case LUA_TSTRING: case LUA_TNUMBER: case LUA_TBOOLEAN: case LUA_TTABLE: return 1;
    default: return 0;
    }
}

int CMailshLuaBridge_fieldEntries(lua_State *L, int table, CMailshLuaBridge_FieldEntry *entries, int capacity) {
    int top = lua_gettop(L);
    int count = 0;
    if (!lua_checkstack(L, 6)) return -1;
    table = lua_absindex(L, table);
    lua_pushnil(L);
    while (lua_next(L, table)) {
        if (count == capacity || !readFieldEntry(L, &entries[count])) goto irregular;
        CMailshLuaBridge_FieldEntry *parent = &entries[count++];
        if (parent->type == LUA_TTABLE) {
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (count == capacity || !readFieldEntry(L, &entries[count]) || entries[count].type == LUA_TTABLE) {
                    goto irregular;
                }
                count++;
                parent->children++;
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
    return count;
irregular:
    lua_settop(L, top);
    return -1;
}

/* MARK: - Objects */

void *CMailshLuaBridge_toObject(lua_State *L, int index, int cls) {
    if (cls <= 0 || cls >= MAX_CLASSES) return NULL;
    Box *box = lua_touserdata(L, index);
    if (box == NULL || lua_type(L, index) != LUA_TUSERDATA) return NULL;
    if (!lua_checkstack(L, 2) || !lua_getmetatable(L, index)) return NULL;
    pushClassMetatable(L, contextOf(L), cls);
    int matches = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return matches ? box->object : NULL;
}

int CMailshLuaBridge_objectClass(lua_State *L, int index) {
    if (lua_type(L, index) != LUA_TUSERDATA) return 0;
    for (int cls = 1; cls < MAX_CLASSES; cls++) {
        if (classNames[cls] && CMailshLuaBridge_toObject(L, index, cls)) return cls;
    }
    return 0;
}

/* MARK: - Loading and calling */

int CMailshLuaBridge_load(lua_State *L, const char *text, size_t length, const char *chunkname) {
    if (!lua_checkstack(L, 2)) return LUA_ERRMEM;
    return luaL_loadbufferx(L, text, length, chunkname, "t");
}

/* The message handler of a script's outermost call: the message with the script's position, and the traceback,
   kept in the registry as {message, traceback}. A refused operation reports where it was refused. */
static int reportHandler(lua_State *L) {
    CMailshLuaBridge_Context *context = contextOf(L);
    if (context->memorySlack < REPORT_RESERVE) context->memorySlack = REPORT_RESERVE;
    const char *message;
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
        message = lua_tostring(L, 1);
    } else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
        message = lua_tostring(L, -1);
    } else {
        message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    lua_createtable(L, 2, 0);
    int report = lua_gettop(L);
    int refused = 0;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &refusalKey) == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        refused = lua_rawequal(L, -1, 1);
        lua_pop(L, 1);
        if (refused) {
            lua_rawgeti(L, -1, 2);
            lua_pushstring(L, message);
            lua_concat(L, 2);
            lua_rawseti(L, report, 1);
            lua_rawgeti(L, -1, 3);
            lua_rawseti(L, report, 2);
        }
    }
    lua_pop(L, 1);
    if (!refused) {
        /* The position of the innermost Lua function, unless the message starts with a position already (of
           any function on the stack: `error(message, 2)` names the caller's line). */
        lua_Debug ar;
        int level = 1;
        int found = 0;
        int positioned = 0;
        char where[LUA_IDSIZE + 32];
        while (lua_getstack(L, level++, &ar)) {
            lua_getinfo(L, "Sl", &ar);
            if (ar.currentline <= 0) continue;
            char candidate[LUA_IDSIZE + 32];
            snprintf(candidate, sizeof candidate, "%s:%d:", ar.short_src, ar.currentline);
            if (!found) {
                memcpy(where, candidate, sizeof where);
                found = 1;
            }
            if (strncmp(message, candidate, strlen(candidate)) == 0) {
                positioned = 1;
                break;
            }
        }
        if (found && !positioned) {
            lua_pushfstring(L, "%s %s", where, message);
        } else {
            lua_pushstring(L, message);
        }
        lua_rawseti(L, report, 1);
        luaL_traceback(L, L, NULL, 1);
        lua_rawseti(L, report, 2);
    }
    lua_pushvalue(L, report);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &reportKey);
    lua_pushvalue(L, 1);
    return 1;
}

/* MARK: - The watchdog */

/* How long after its deadline a script may still be inside a call that does not return before the process is
   ended. The bounded library functions notice the deadline themselves within microseconds; this is for a call
   that nothing bounds (such as table.sort over a table whose metamethods are C functions). */
#define WATCHDOG_GRACE 1.0

static int interruptStatus = 130;
static int timeoutStatus = 1;

void CMailshLuaBridge_setEndStatuses(int interrupted, int timeout) {
    interruptStatus = interrupted;
    timeoutStatus = timeout;
}

typedef struct Watchdog {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct timespec until;
    int done;
    pthread_t thread;
} Watchdog;

static void *watch(void *argument) {
    Watchdog *watchdog = argument;
    pthread_mutex_lock(&watchdog->lock);
    while (!watchdog->done) {
        if (pthread_cond_timedwait(&watchdog->wake, &watchdog->lock, &watchdog->until) == ETIMEDOUT
            && !watchdog->done) {
            endProcess("mailsh: stopped: the script ran out of time (--timeout) inside a call that did not return "
                       "to Lua\nmailsh: nothing was changed: the script's transaction was never committed\n",
                       timeoutStatus);
        }
    }
    pthread_mutex_unlock(&watchdog->lock);
    return NULL;
}

/* Starts a watchdog for a deadline; 0 when it runs. */
static int startWatchdog(Watchdog *watchdog, double deadline) {
    double at = deadline + WATCHDOG_GRACE;
    watchdog->until.tv_sec = (time_t)at;
    watchdog->until.tv_nsec = (long)((at - (double)watchdog->until.tv_sec) * 1e9);
    watchdog->done = 0;
    pthread_condattr_t attributes;
    if (pthread_condattr_init(&attributes)) return -1;
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    int failed = pthread_cond_init(&watchdog->wake, &attributes);
    pthread_condattr_destroy(&attributes);
    if (failed) return -1;
    if (pthread_mutex_init(&watchdog->lock, NULL)) {
        pthread_cond_destroy(&watchdog->wake);
        return -1;
    }
    if (pthread_create(&watchdog->thread, NULL, watch, watchdog)) {
        pthread_mutex_destroy(&watchdog->lock);
        pthread_cond_destroy(&watchdog->wake);
        return -1;
    }
    return 0;
}

static void stopWatchdog(Watchdog *watchdog) {
    pthread_mutex_lock(&watchdog->lock);
    watchdog->done = 1;
    pthread_cond_signal(&watchdog->wake);
    pthread_mutex_unlock(&watchdog->lock);
    pthread_join(watchdog->thread, NULL);
    pthread_mutex_destroy(&watchdog->lock);
    pthread_cond_destroy(&watchdog->wake);
}

/* MARK: - Calls */

static int pushStopBody(lua_State *L) {
    lua_pushstring(L, stopMessage(((CMailshLuaBridge_Context *)lua_touserdata(L, 1))->stop));
    return 1;
}

/* After a call that returned normally: if a stop was requested meanwhile (a budget spent, the deadline passed,
   Ctrl-C), the call fails anyway, whatever it returned and whatever it caught, so that nothing commits. A `pcall`
   in tail position (`return pcall(f)`) ends the chunk without another counted instruction, so the hook alone
   cannot see to that. Replaces the results with the stop message. */
static int failIfStopped(lua_State *L, int base, int status) {
    CMailshLuaBridge_Context *context = contextOf(L);
    if (status != LUA_OK || !checkStop(context)) return status;
    lua_settop(L, base - 1);
    if (protectedCall(L, pushStopBody, context, 1) != LUA_OK) return LUA_ERRMEM;
    return LUA_ERRRUN;
}

int CMailshLuaBridge_call(lua_State *L, int nargs) {
    if (!lua_checkstack(L, 2)) return LUA_ERRMEM;
    CMailshLuaBridge_Context *context = contextOf(L);
    int base = lua_gettop(L) - nargs;
    lua_pushboolean(L, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &reportKey);
    lua_pushboolean(L, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &refusalKey);
    lua_pushcfunction(L, reportHandler);
    lua_insert(L, base);
    Watchdog watchdog;
    int watching = context->deadline > 0 && startWatchdog(&watchdog, context->deadline) == 0;
    scriptRunning = 1;
    int status = lua_pcall(L, nargs, LUA_MULTRET, base);
    scriptRunning = 0;
    if (watching) stopWatchdog(&watchdog);
    lua_remove(L, base);
    return failIfStopped(L, base, status);
}

int CMailshLuaBridge_callPlain(lua_State *L, int nargs) {
    if (!lua_checkstack(L, 1)) return LUA_ERRMEM;
    int base = lua_gettop(L) - nargs;
    return failIfStopped(L, base, lua_pcall(L, nargs, LUA_MULTRET, 0));
}

const char *CMailshLuaBridge_report(lua_State *L, int part, size_t *length) {
    if (!lua_checkstack(L, 2)) return NULL;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &reportKey) != LUA_TTABLE) {
        lua_pop(L, 1);
        return NULL;
    }
    const char *text = NULL;
    if (lua_rawgeti(L, -1, part) == LUA_TSTRING) {
        text = lua_tolstring(L, -1, length);
    }
    /* The string stays alive in the report table, which the registry holds. */
    lua_pop(L, 2);
    return text;
}

static int toStringsBody(lua_State *L) {
    int count = lua_gettop(L);
    for (int index = 1; index <= count; index++) {
        luaL_tolstring(L, index, NULL);
        lua_replace(L, index);
    }
    return count;
}

int CMailshLuaBridge_toStrings(lua_State *L, int first) {
    int top = lua_gettop(L);
    int count = top - first + 1;
    if (count <= 0) return 0;
    if (!lua_checkstack(L, 2)) return LUA_ERRMEM;
    lua_pushcfunction(L, toStringsBody);
    lua_insert(L, first);
    int status = lua_pcall(L, count, count, 0);
    if (status != LUA_OK) return status;
    return 0;
}
