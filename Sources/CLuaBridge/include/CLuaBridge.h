#ifndef MAILSH_CLUABRIDGE_H
#define MAILSH_CLUABRIDGE_H
/*
 * The C side of mailsh's Lua host.
 *
 * The one rule: a Lua error is a longjmp, and a longjmp must never cross a Swift frame (it would skip ARC
 * releases and `defer`). So Lua calls C trampolines, the trampolines call Swift, Swift *returns* a result count
 * or a marker, and only then, with nothing but C frames left, the trampoline raises. Swift never calls an API
 * function that can raise: values it returns are written as a small push program that C runs inside a protected
 * call, and everything that allocates during set-up runs protected as well.
 *
 * Also here: the sandbox, the memory budget (a counting lua_Alloc), the instruction budget, the time limit and
 * Ctrl-C (a count hook that, once a budget is spent, re-arms itself to fire on every instruction so that `pcall`
 * cannot catch its way out).
 */
#include <stddef.h>
#include <stdint.h>

struct lua_State;

/* Why the host stopped a script. */
enum {
    CMailshLuaBridge_RUNNING = 0,
    CMailshLuaBridge_STOP_INSTRUCTIONS = 1,
    CMailshLuaBridge_STOP_MEMORY = 2,
    CMailshLuaBridge_STOP_TIMEOUT = 3,
    CMailshLuaBridge_STOP_INTERRUPT = 4,
    CMailshLuaBridge_STOP_CLOSING = 5,
};

/* What a Swift callback returns instead of a result count (>= 0). The value to raise is on top of the stack. */
enum {
    /* Raise the value as it is (an error already made, such as "not enough memory"). */
    CMailshLuaBridge_RAISE = -1,
    /* Raise the string prefixed with the calling script's position ("file.lua:12: "): misuse of the API. */
    CMailshLuaBridge_RAISE_WHERE = -2,
    /* Raise the string as it is (a refused operation, the CLI's exact text); remember where and the traceback. */
    CMailshLuaBridge_REFUSE = -3,
    /* No room on the stack, not even for a message: the trampoline raises "stack overflow". */
    CMailshLuaBridge_STACK_OVERFLOW = -4,
    /* Not an error: return one value, the host object Swift left in `pendingObject` (retained for the
       userdata), made into its userdata by the trampoline, without a push program. */
    CMailshLuaBridge_OBJECT = -5,
};

/* Streams of the write callback. */
enum {
    CMailshLuaBridge_PRINT = 1,
    CMailshLuaBridge_LOG = 2,
};

/* Built-in C functions that `defineBuiltin` can place in the module. */
enum {
    CMailshLuaBridge_BUILTIN_LOG = 1,
};

/* The state of one Lua state, owned by Swift and shared with C (the allocator's `ud`, the extra space). */
/* Blocks of up to 16 * CMailshLuaBridge_SMALL_CLASSES bytes are allocated in steps of 16 bytes, and freed ones are
   kept per step for the next request of that step (a script's tables, strings and closures come and go by the
   thousand): no trip through malloc and free for each. */
#define CMailshLuaBridge_SMALL_CLASSES 16
/* Host classes are numbered 1 to CMailshLuaBridge_MAX_CLASSES - 1. */
#define CMailshLuaBridge_MAX_CLASSES 8

typedef struct CMailshLuaBridge_Context {
    /* Memory: bytes Lua holds, the budget (0: none), the high-water mark, bytes held by host objects on Lua's
       behalf (counted against the budget), and extra room granted for reporting an error after a stop. */
    size_t memoryUsed;
    size_t memoryLimit;
    size_t memoryPeak;
    size_t memoryExternal;
    size_t memorySlack;
    /* Instructions run (counted in steps of `hookStep`) and the budget (0: none). */
    uint64_t instructions;
    uint64_t instructionLimit;
    int hookStep;
    /* A deadline on CLOCK_MONOTONIC, in seconds (0: none). */
    double deadline;
    /* One of CMailshLuaBridge_RUNNING / _STOP_*: once set, every Lua instruction raises. */
    int stop;
    /* Set while C runs a push program: host functions refuse to be called then (from a __gc metamethod). */
    int busy;
    /* The Swift session (an unretained pointer, valid while the state is open). */
    void *host;
    /* A host object to return (see CMailshLuaBridge_OBJECT), retained once for its userdata; its class and the
       bytes it costs. If making the userdata fails, the next call or the closing of the state releases it. */
    void *pendingObject;
    int pendingClass;
    uint32_t pendingBytes;
    /* The push program Swift writes and C runs. */
    unsigned char *program;
    size_t programLength;
    size_t programCapacity;
    /* The allocator's memory of its refusals: the same request refused twice (before and after Lua's emergency
       collection), a huge request, or many refusals mean the budget is spent, which stops the script. */
    void *refusedBlock;
    size_t refusedSize;
    int refusedPending;
    int refusals;
    /* Lua's freed small blocks kept for reuse, a list per size class (see CMailshLuaBridge_SMALL_CLASSES), linked
       through their first bytes, and the bytes they hold. Not counted as Lua's: memoryUsed counts live blocks. */
    void *smallBlocks[CMailshLuaBridge_SMALL_CLASSES];
    size_t smallBlockBytes;
    /* Per host class, the registry's integer reference to its metatable (0 until the class is defined): an integer
       key is found faster than the class's own light-userdata key, once per host object made. */
    int classReferences[CMailshLuaBridge_MAX_CLASSES];
} CMailshLuaBridge_Context;

/* Calls `function` (an index into Swift's table) with the receiver's host object (or NULL for a plain function).
   Returns a result count >= 0 or one of the markers above. Must not raise. */
typedef int (*CMailshLuaBridge_Dispatch)(struct lua_State *L, void *host, int function, void *receiver);
/* Writes text to a stream (`print` and `mail.log`). Must not raise. */
typedef void (*CMailshLuaBridge_Write)(void *host, int stream, const char *text, size_t length);
/* Retains or releases a host object held by a userdata. */
typedef void (*CMailshLuaBridge_Retain)(void *object);

/* Sets the callbacks into Swift, once per process (before opening a state). */
void CMailshLuaBridge_setCallbacks(CMailshLuaBridge_Dispatch dispatch, CMailshLuaBridge_Write write,
                                   CMailshLuaBridge_Retain retain, CMailshLuaBridge_Retain release);

/* Opens a sandboxed state over `context` (which must outlive it): base, string, table, math, utf8, coroutine;
   `os` with time, clock and date only; no io, package, require, debug, dofile, loadfile, string.dump; `load`
   limited to text; `print` through the write callback; the count hook armed. NULL when it cannot. */
struct lua_State *CMailshLuaBridge_open(CMailshLuaBridge_Context *context);
/* Closes a state: Lua code in finalizers is stopped at once, host objects are released. */
void CMailshLuaBridge_close(struct lua_State *L);

/* Set-up, each protected (0: done; otherwise an error message is on top of the stack). */
/* A userdata class: metatable `name`, fields read through Swift function `getter`, `__tostring` and `__eq`
   through Swift functions, `__gc` releasing the host object, `__metatable` false. */
int CMailshLuaBridge_defineClass(struct lua_State *L, int cls, const char *name, int getter, int tostring, int equal);
/* A Swift function at a dotted global path (`mail.account.create`), creating protected module tables. */
int CMailshLuaBridge_defineFunction(struct lua_State *L, const char *path, int function);
/* A C function of the bridge (`mail.log`) at a dotted global path. */
int CMailshLuaBridge_defineBuiltin(struct lua_State *L, const char *path, int builtin);
/* A method of a class, with the receiver checked in C before Swift is called. */
int CMailshLuaBridge_defineMethod(struct lua_State *L, int cls, const char *name, int function);
/* Pops the value on top into a dotted global path (`mail.args`). */
int CMailshLuaBridge_setPath(struct lua_State *L, const char *path);

/* The push program: Swift appends, then C runs it protected, pushing the values it describes. The emitters only
   touch `context` (never Lua) and return 0, or -1 when memory is short. */
int CMailshLuaBridge_emitNil(CMailshLuaBridge_Context *context);
int CMailshLuaBridge_emitBoolean(CMailshLuaBridge_Context *context, int value);
int CMailshLuaBridge_emitInteger(CMailshLuaBridge_Context *context, int64_t value);
int CMailshLuaBridge_emitNumber(CMailshLuaBridge_Context *context, double value);
int CMailshLuaBridge_emitString(CMailshLuaBridge_Context *context, const char *text, size_t length);
/* A new table with room for `narray` and `nrecord` entries. */
int CMailshLuaBridge_emitTable(CMailshLuaBridge_Context *context, int narray, int nrecord);
/* t[k] = v for [t, k, v] on top (k and v popped). */
int CMailshLuaBridge_emitSet(CMailshLuaBridge_Context *context);
/* t[index] = v for [t, v] on top (v popped). */
int CMailshLuaBridge_emitSetIndex(CMailshLuaBridge_Context *context, int64_t index);
/* Replaces the table on top with a read-only view of it (writes raise `message`). */
int CMailshLuaBridge_emitReadOnly(CMailshLuaBridge_Context *context);
/* Turns [data, known names (a set), label] into a read-only view whose unknown names are errors naming them. */
int CMailshLuaBridge_emitReadOnlyStrict(CMailshLuaBridge_Context *context);
/* A userdata of class `cls` holding `object` (retained once the userdata exists); `bytes` of host memory are
   counted against the budget until the userdata is collected. */
int CMailshLuaBridge_emitObject(CMailshLuaBridge_Context *context, void *object, int cls, uint32_t bytes);
/* Runs the program from `start` to its end and truncates it back to `start`. Returns the number of values pushed,
   or -1 with the error (such as "not enough memory") on top of the stack, or CMailshLuaBridge_STACK_OVERFLOW. */
int CMailshLuaBridge_runProgram(struct lua_State *L, size_t start);

/* Pushes one string, protected: the common result, without a push program. Returns 1, or -1 with the error on
   top of the stack, or CMailshLuaBridge_STACK_OVERFLOW. */
int CMailshLuaBridge_pushString(struct lua_State *L, const char *text, size_t length);

/* One entry of a field table (`{ name = "x", incoming = { port = 993 } }`), as read by `fieldEntries` or
   `fieldValue`: the key's bytes and the value, by its Lua type. Texts point into Lua's strings, valid while the table
   holds them. */
typedef struct CMailshLuaBridge_FieldEntry {
    const char *key;
    size_t keyLength;
    /* LUA_TSTRING (`text`), LUA_TNUMBER (`integer` when `isInteger`, else `number`), LUA_TBOOLEAN (`boolean`),
       LUA_TTABLE (whose entries follow: `children` of them), or another type (only from `fieldValue`). */
    int type;
    int isInteger;
    int boolean;
    int children;
    const char *text;
    size_t textLength;
    int64_t integer;
    double number;
} CMailshLuaBridge_FieldEntry;

/* Reads the entries of the table at `table` into `entries` (at most `capacity`), each table among its values followed
   by that table's entries (one level). Returns the count, or -1 when the table is not that plain (a key that is not
   a string, a value that is none of string, number, boolean, table, a table below the first level, more entries
   than `capacity`): read it entry by entry then, for the messages that name what is wrong. Never raises. */
int CMailshLuaBridge_fieldEntries(struct lua_State *L, int table, CMailshLuaBridge_FieldEntry *entries, int capacity);
/* Reads the value at `index` into `entry` (its key is left empty). Never raises. */
void CMailshLuaBridge_fieldValue(struct lua_State *L, int index, CMailshLuaBridge_FieldEntry *entry);

/* The host object of a userdata of class `cls` at `index`, or NULL (never raises). */
void *CMailshLuaBridge_toObject(struct lua_State *L, int index, int cls);
/* The class of a host userdata at `index`, or 0 (never raises). */
int CMailshLuaBridge_objectClass(struct lua_State *L, int index);

/* Loads a text chunk (binary chunks are refused). Returns a Lua status; the function or the message on top. */
int CMailshLuaBridge_load(struct lua_State *L, const char *text, size_t length, const char *chunkname);
/* Calls the function below `nargs` arguments with the reporting message handler. Returns a Lua status; on
   error, the report (message with the script's position, traceback) is kept for `report`. A call that returns
   after a stop was requested fails all the same (LUA_ERRRUN, the stop's message on top), whatever it returned.
   With a deadline set, a watchdog ends the process (with the timeout status, see `setEndStatuses`) if the call
   is still running a moment after the deadline: a C call that never returns to Lua. */
int CMailshLuaBridge_call(struct lua_State *L, int nargs);
/* Calls the function below `nargs` arguments without a message handler (for `mail.transaction`); a call that
   returns after a stop was requested fails, as with `call`. */
int CMailshLuaBridge_callPlain(struct lua_State *L, int nargs);
/* Part 1 (message) or 2 (traceback) of the last report, or NULL. Never raises. */
const char *CMailshLuaBridge_report(struct lua_State *L, int part, size_t *length);
/* Replaces each value from `first` to the top with its `tostring`. Protected; 0 when done. */
int CMailshLuaBridge_toStrings(struct lua_State *L, int first);

/* Why the script must stop, after looking at the budgets, the deadline and Ctrl-C once more: one of
   CMailshLuaBridge_RUNNING / _STOP_*. For the host, before it commits. */
int CMailshLuaBridge_stopped(CMailshLuaBridge_Context *context);

/* The exit statuses of a process ended inside a call that does not return: by a second Ctrl-C, by the watchdog
   of a deadline. */
void CMailshLuaBridge_setEndStatuses(int interrupted, int timeout);

/* Ctrl-C: while caught, SIGINT only sets a flag that the hook turns into a stop; a second SIGINT while the
   script still runs (stuck in a call that does not return to Lua) ends the process with the interrupted status.
   Ctrl-\ (SIGQUIT) ends the process at once, with 128 + SIGQUIT, never dumping core. Nested catches are counted. */
void CMailshLuaBridge_catchInterrupts(void);
void CMailshLuaBridge_releaseInterrupts(void);
/* Sets (as SIGINT does) or clears the flag. */
void CMailshLuaBridge_setInterrupted(int value);
int CMailshLuaBridge_interrupted(void);

/* CLOCK_MONOTONIC in seconds, for deadlines. */
double CMailshLuaBridge_now(void);

/* The Lua version number (504). */
int CMailshLuaBridge_version(void);

#endif
