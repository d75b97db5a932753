/*
 * Bounded library functions.
 *
 * The count hook stops a script only between VM instructions, so a library function that loops in C without
 * returning to the VM escapes every limit: `string.rep("", math.maxinteger)` copies nothing math.maxinteger
 * times, `table.move({}, 1, math.maxinteger - 1, 1)` moves nils, a backtracking pattern such as
 * `("a"):rep(30000):find(".-.-.-b")` runs for hours, and `table.insert` / `table.remove` shift as many
 * elements as a `__len` metamethod claims. The versions here behave as Lua 5.4's (same results, same error
 * messages) but charge the instruction budget as they work (about what the same loop written in Lua would cost)
 * and look at the budgets, the deadline and Ctrl-C every few thousand steps, stopping the script there.
 *
 * Written for mailsh against the Lua 5.4 reference manual (section 6.4.1 for patterns).
 */
#define _GNU_SOURCE /* memmem: linear-time substring search */
#include "internal.h"

#include <lua5.4/lauxlib.h>
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

void CMailshLuaBridge_settleWork(CMailshWork *work) {
    work->context->instructions += work->pending;
    work->pending = 0;
    if (CMailshLuaBridge_checkStop(work->context)) CMailshLuaBridge_raiseStop(work->L);
}

/* MARK: - string.rep */

/* The longest string string.rep makes (Lua 5.4's own limit). */
#define MAX_STRING ((size_t)INT_MAX)
/* The most string.rep copies between two looks at the budgets. */
#define REP_SLICE ((size_t)1 << 20)

static int boundedRep(lua_State *L) {
    size_t length, separatorLength;
    const char *text = luaL_checklstring(L, 1, &length);
    lua_Integer count = luaL_checkinteger(L, 2);
    const char *separator = luaL_optlstring(L, 3, "", &separatorLength);
    if (count <= 0 || (length == 0 && (separatorLength == 0 || count == 1))) {
        /* Nothing to copy, however many times: the empty string at once. */
        lua_pushliteral(L, "");
        return 1;
    }
    if (length + separatorLength < length || length + separatorLength > MAX_STRING / (size_t)count) {
        return luaL_error(L, "resulting string too large");
    }
    size_t total = (size_t)count * length + (size_t)(count - 1) * separatorLength;
    CMailshWork work;
    CMailshWork_init(&work, L);
    /* The whole result is allocated first (and counted against the memory budget), then filled: one period
       (text and separator), then the filled part copied onto the rest, doubling, in slices of at most
       REP_SLICE so that the budgets are looked at as it goes. A unit per 64 bytes copied. */
    luaL_Buffer buffer;
    char *out = luaL_buffinitsize(L, &buffer, total);
    size_t period = length + separatorLength;
    size_t body = (size_t)(count - 1) * period; /* the repeated "text separator" part */
    if (body > 0) {
        memcpy(out, text, length);
        memcpy(out + length, separator, separatorLength);
        size_t filled = period;
        size_t slice = REP_SLICE > period ? REP_SLICE - REP_SLICE % period : period;
        while (filled < body) {
            size_t chunk = filled < body - filled ? filled : body - filled;
            if (chunk > slice) chunk = slice;
            memcpy(out + filled, out, chunk); /* filled and chunk are whole periods */
            filled += chunk;
            CMailshWork_charge(&work, 1 + chunk / 64);
        }
    }
    memcpy(out + body, text, length);
    luaL_pushresultsize(&buffer, total);
    CMailshWork_done(&work);
    return 1;
}

/* MARK: - table.move, insert, remove, concat */

enum { NEEDS_READ = 1, NEEDS_WRITE = 2, NEEDS_LENGTH = 4 };

/* A table, or a value whose metatable gives what the function needs (as Lua's table library accepts). */
static void checkTable(lua_State *L, int arg, int needs) {
    if (lua_type(L, arg) == LUA_TTABLE) return;
    int top = lua_gettop(L);
    int usable = 0;
    if (lua_getmetatable(L, arg)) {
        int metatable = lua_gettop(L);
        usable = 1;
        if ((needs & NEEDS_READ) && lua_getfield(L, metatable, "__index") == LUA_TNIL) usable = 0;
        if ((needs & NEEDS_WRITE) && lua_getfield(L, metatable, "__newindex") == LUA_TNIL) usable = 0;
        if ((needs & NEEDS_LENGTH) && lua_getfield(L, metatable, "__len") == LUA_TNIL) usable = 0;
    }
    lua_settop(L, top);
    if (!usable) luaL_checktype(L, arg, LUA_TTABLE);
}

static lua_Integer lengthOf(lua_State *L, int arg, int needs) {
    checkTable(L, arg, needs | NEEDS_LENGTH);
    return luaL_len(L, arg);
}

/* What one element costs: a get, a set and the loop, as in Lua. */
#define ELEMENT_UNITS 4

static int boundedMove(lua_State *L) {
    lua_Integer first = luaL_checkinteger(L, 2);
    lua_Integer last = luaL_checkinteger(L, 3);
    lua_Integer target = luaL_checkinteger(L, 4);
    int destination = lua_isnoneornil(L, 5) ? 1 : 5;
    checkTable(L, 1, NEEDS_READ);
    checkTable(L, destination, NEEDS_WRITE);
    if (last >= first) {
        luaL_argcheck(L, first > 0 || last < LUA_MAXINTEGER + first, 3, "too many elements to move");
        lua_Integer count = last - first + 1;
        luaL_argcheck(L, target <= LUA_MAXINTEGER - count + 1, 4, "destination wrap around");
        CMailshWork work;
        CMailshWork_init(&work, L);
        if (target > last || target <= first || (destination != 1 && !lua_compare(L, 1, destination, LUA_OPEQ))) {
            for (lua_Integer index = 0; index < count; index++) {
                lua_geti(L, 1, first + index);
                lua_seti(L, destination, target + index);
                CMailshWork_charge(&work, ELEMENT_UNITS);
            }
        } else {
            for (lua_Integer index = count - 1; index >= 0; index--) {
                lua_geti(L, 1, first + index);
                lua_seti(L, destination, target + index);
                CMailshWork_charge(&work, ELEMENT_UNITS);
            }
        }
        CMailshWork_done(&work);
    }
    lua_pushvalue(L, destination);
    return 1;
}

static int boundedInsert(lua_State *L) {
    lua_Integer end = lengthOf(L, 1, NEEDS_READ | NEEDS_WRITE);
    end = (lua_Integer)((lua_Unsigned)end + 1u); /* the first empty slot */
    lua_Integer position;
    switch (lua_gettop(L)) {
    case 2: position = end; break;
    case 3: {
        position = luaL_checkinteger(L, 2);
        luaL_argcheck(L, (lua_Unsigned)position - 1u < (lua_Unsigned)end, 2, "position out of bounds");
        CMailshWork work;
        CMailshWork_init(&work, L);
        for (lua_Integer index = end; index > position; index--) {
            lua_geti(L, 1, index - 1);
            lua_seti(L, 1, index);
            CMailshWork_charge(&work, ELEMENT_UNITS);
        }
        CMailshWork_done(&work);
        break;
    }
    default: return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, position);
    return 0;
}

static int boundedRemove(lua_State *L) {
    lua_Integer size = lengthOf(L, 1, NEEDS_READ | NEEDS_WRITE);
    lua_Integer position = luaL_optinteger(L, 2, size);
    if (position != size) {
        /* argument #1, as Lua 5.4.4 says */
        luaL_argcheck(L, (lua_Unsigned)position - 1u <= (lua_Unsigned)size, 1, "position out of bounds");
    }
    lua_geti(L, 1, position);
    CMailshWork work;
    CMailshWork_init(&work, L);
    for (; position < size; position++) {
        lua_geti(L, 1, position + 1);
        lua_seti(L, 1, position);
        CMailshWork_charge(&work, ELEMENT_UNITS);
    }
    CMailshWork_done(&work);
    lua_pushnil(L);
    lua_seti(L, 1, position);
    return 1;
}

static void addElement(lua_State *L, luaL_Buffer *buffer, lua_Integer index) {
    lua_geti(L, 1, index);
    if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid value (%s) at index %I in table for 'concat'", luaL_typename(L, -1),
                   (LUAI_UACINT)index);
    }
    luaL_addvalue(buffer);
}

static int boundedConcat(lua_State *L) {
    lua_Integer last = lengthOf(L, 1, NEEDS_READ);
    size_t separatorLength;
    const char *separator = luaL_optlstring(L, 2, "", &separatorLength);
    lua_Integer index = luaL_optinteger(L, 3, 1);
    last = luaL_optinteger(L, 4, last);
    CMailshWork work;
    CMailshWork_init(&work, L);
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    for (; index < last; index++) {
        addElement(L, &buffer, index);
        luaL_addlstring(&buffer, separator, separatorLength);
        CMailshWork_charge(&work, ELEMENT_UNITS);
    }
    if (index == last) addElement(L, &buffer, index);
    luaL_pushresult(&buffer);
    CMailshWork_done(&work);
    return 1;
}

/* table.sort: Lua's own (a quicksort with a randomized pivot), charged up front for n·log2(n) comparisons,
   so that the instruction budget stops a sort of a table whose `__len` claims two billion elements (compared
   through C metamethods, it would never return to the VM). A comparison function runs in Lua and counts as well. */
static int boundedSort(lua_State *L) {
    lua_Integer count = lengthOf(L, 1, NEEDS_READ | NEEDS_WRITE);
    if (count > 1) {
        uint64_t depth = 1;
        for (lua_Integer rest = count; rest > 1; rest >>= 1) depth++;
        CMailshWork work;
        CMailshWork_init(&work, L);
        CMailshWork_charge(&work, (uint64_t)count * depth * ELEMENT_UNITS);
        CMailshLuaBridge_settleWork(&work);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 0);
    return 0;
}

/* MARK: - Patterns */

#define MAX_CAPTURES 32 /* LUA_MAXCAPTURES */
#define MAX_DEPTH 200   /* nested items before "pattern too complex" (Lua's MAXCCALLS) */
#define CAPTURE_OPEN (-1)
#define CAPTURE_POSITION (-2)
#define ESCAPE '%'
#define SPECIALS "^$*+?.([%-"

typedef struct Matcher {
    lua_State *L;
    CMailshWork *work;
    const char *subject;
    const char *subjectEnd;
    const char *patternEnd;
    int depth;
    int level;
    struct {
        const char *start;
        ptrdiff_t length;
    } capture[MAX_CAPTURES];
} Matcher;

static void startMatcher(Matcher *m, lua_State *L, CMailshWork *work, const char *subject, size_t subjectLength,
                         const char *pattern, size_t patternLength) {
    m->L = L;
    m->work = work;
    m->subject = subject;
    m->subjectEnd = subject + subjectLength;
    m->patternEnd = pattern + patternLength;
    m->depth = MAX_DEPTH;
    m->level = 0;
}

static void resetMatcher(Matcher *m) {
    m->depth = MAX_DEPTH;
    m->level = 0;
}

/* The end of the single-character class starting at `p` (a character, `.`, `%x` or `[set]`). */
static const char *classEnd(Matcher *m, const char *p) {
    switch (*p++) {
    case ESCAPE:
        if (p == m->patternEnd) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (*p == '^') p++;
        do { /* the first character of a set is itself even when it is ']' */
            if (p == m->patternEnd) luaL_error(m->L, "malformed pattern (missing ']')");
            if (*(p++) == ESCAPE && p < m->patternEnd) p++;
        } while (*p != ']');
        return p + 1;
    default: return p;
    }
}

/* Whether `c` is in class `%cl` (`%a`, `%D`…; any other character stands for itself). */
static int inClass(int c, int cl) {
    int result;
    switch (tolower(cl)) {
    case 'a': result = isalpha(c); break;
    case 'c': result = iscntrl(c); break;
    case 'd': result = isdigit(c); break;
    case 'g': result = isgraph(c); break;
    case 'l': result = islower(c); break;
    case 'p': result = ispunct(c); break;
    case 's': result = isspace(c); break;
    case 'u': result = isupper(c); break;
    case 'w': result = isalnum(c); break;
    case 'x': result = isxdigit(c); break;
    case 'z': result = c == 0; break; /* %z, deprecated but still in Lua 5.4 */
    default: return cl == c;
    }
    if (isupper(cl)) return !result;
    return result != 0;
}

/* Whether `c` is in the set from `p` (at its '[') to `end` (at its ']'). */
static int inSet(int c, const char *p, const char *end) {
    int inside = 1;
    if (*(p + 1) == '^') {
        inside = 0;
        p++;
    }
    while (++p < end) {
        if (*p == ESCAPE) {
            p++;
            if (inClass(c, (unsigned char)*p)) return inside;
        } else if (*(p + 1) == '-' && p + 2 < end) {
            p += 2;
            if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p) return inside;
        } else if ((unsigned char)*p == c) {
            return inside;
        }
    }
    return !inside;
}

/* Whether the character at `s` matches the class from `p` to `ep`. */
static int single(Matcher *m, const char *s, const char *p, const char *ep) {
    if (s >= m->subjectEnd) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case ESCAPE: return inClass(c, (unsigned char)*(p + 1));
    case '[': return inSet(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *match(Matcher *m, const char *s, const char *p);

static const char *matchBalance(Matcher *m, const char *s, const char *p) {
    if (p >= m->patternEnd - 1) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->subjectEnd || *s != *p) return NULL;
    int open = *p, close = *(p + 1), depth = 1;
    while (++s < m->subjectEnd) {
        CMailshWork_charge(m->work, 1);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

/* `x*` and `x+`: the longest run first, then shorter ones. */
static const char *longest(Matcher *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t count = 0;
    while (single(m, s + count, p, ep)) {
        count++;
        CMailshWork_charge(m->work, 1);
    }
    for (; count >= 0; count--) {
        const char *end = match(m, s + count, ep + 1);
        if (end) return end;
    }
    return NULL;
}

/* `x-`: the shortest run first, then longer ones. */
static const char *shortest(Matcher *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *end = match(m, s, ep + 1);
        if (end) return end;
        if (!single(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *openCapture(Matcher *m, const char *s, const char *p, ptrdiff_t kind) {
    if (m->level >= MAX_CAPTURES) luaL_error(m->L, "too many captures");
    m->capture[m->level].start = s;
    m->capture[m->level].length = kind;
    m->level++;
    const char *end = match(m, s, p);
    if (end == NULL) m->level--;
    return end;
}

static const char *closeCapture(Matcher *m, const char *s, const char *p) {
    int level = m->level - 1;
    while (level >= 0 && m->capture[level].length != CAPTURE_OPEN) level--;
    if (level < 0) luaL_error(m->L, "invalid pattern capture");
    m->capture[level].length = s - m->capture[level].start;
    const char *end = match(m, s, p);
    if (end == NULL) m->capture[level].length = CAPTURE_OPEN;
    return end;
}

/* `%1`…`%9`: the text of an earlier, closed capture again. */
static const char *backReference(Matcher *m, const char *s, int digit) {
    int index = digit - '1';
    if (index < 0 || index >= m->level || m->capture[index].length == CAPTURE_OPEN) {
        luaL_error(m->L, "invalid capture index %%%d", index + 1);
    }
    size_t length = (size_t)m->capture[index].length;
    CMailshWork_charge(m->work, 1 + length / 64);
    if ((size_t)(m->subjectEnd - s) >= length && memcmp(m->capture[index].start, s, length) == 0) return s + length;
    return NULL;
}

/* The end of a match of the pattern from `p` at `s`, or NULL. */
static const char *match(Matcher *m, const char *s, const char *p) {
    if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
    while (p != m->patternEnd) {
        CMailshWork_charge(m->work, 1);
        switch (*p) {
        case '(':
            s = *(p + 1) == ')' ? openCapture(m, s, p + 2, CAPTURE_POSITION) : openCapture(m, s, p + 1, CAPTURE_OPEN);
            goto done;
        case ')':
            s = closeCapture(m, s, p + 1);
            goto done;
        case '$':
            if (p + 1 != m->patternEnd) goto item; /* a '$' elsewhere is itself */
            if (s != m->subjectEnd) s = NULL;
            goto done;
        case ESCAPE:
            switch (*(p + 1)) {
            case 'b':
                s = matchBalance(m, s, p + 2);
                if (s == NULL) goto done;
                p += 4;
                continue;
            case 'f': {
                p += 2;
                if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *ep = classEnd(m, p);
                int before = s == m->subject ? '\0' : (unsigned char)*(s - 1);
                int at = s < m->subjectEnd ? (unsigned char)*s : '\0';
                if (!inSet(before, p, ep - 1) && inSet(at, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = NULL;
                goto done;
            }
            case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                s = backReference(m, s, (unsigned char)*(p + 1));
                if (s == NULL) goto done;
                p += 2;
                continue;
            default: goto item;
            }
        default:
        item: {
            const char *ep = classEnd(m, p);
            if (!single(m, s, p, ep)) {
                if (*ep == '*' || *ep == '?' || *ep == '-') { /* zero repetitions are fine */
                    p = ep + 1;
                    continue;
                }
                s = NULL;
                goto done;
            }
            switch (*ep) {
            case '?': {
                const char *end = match(m, s + 1, ep + 1);
                if (end) {
                    s = end;
                    goto done;
                }
                p = ep + 1;
                continue;
            }
            case '+': s = longest(m, s + 1, p, ep); goto done;
            case '*': s = longest(m, s, p, ep); goto done;
            case '-': s = shortest(m, s, p, ep); goto done;
            default:
                s++;
                p = ep;
                continue;
            }
        }
        }
    }
done:
    m->depth++;
    return s;
}

/* Capture `index` (the whole match `s`…`e` when there are none), pushed. */
static void pushCapture(Matcher *m, int index, const char *s, const char *e) {
    if (index >= m->level) {
        if (index != 0) luaL_error(m->L, "invalid capture index %%%d", index + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t length = m->capture[index].length;
    if (length == CAPTURE_OPEN) luaL_error(m->L, "unfinished capture");
    if (length == CAPTURE_POSITION) {
        lua_pushinteger(m->L, (lua_Integer)(m->capture[index].start - m->subject) + 1);
    } else {
        lua_pushlstring(m->L, m->capture[index].start, (size_t)length);
    }
}

/* Every capture (or the whole match when `s` is given and there are none); returns how many. */
static int pushCaptures(Matcher *m, const char *s, const char *e) {
    int count = (m->level == 0 && s) ? 1 : m->level;
    luaL_checkstack(m->L, count, "too many captures");
    for (int index = 0; index < count; index++) pushCapture(m, index, s, e);
    return count;
}

/* Lua's rule for an initial position: negative counts from the end, 0 is 1. Returns a 0-based offset. */
static size_t startOffset(lua_Integer position, size_t length) {
    if (position > 0) return (size_t)position - 1;
    if (position == 0 || position < -(lua_Integer)length) return 0;
    return length + (size_t)position;
}

static int hasSpecials(const char *p, size_t length) {
    for (size_t index = 0; index < length; index++) {
        if (p[index] != '\0' && strchr(SPECIALS, p[index])) return 1;
    }
    return 0;
}

static int findOrMatch(lua_State *L, int find) {
    size_t subjectLength, patternLength;
    const char *subject = luaL_checklstring(L, 1, &subjectLength);
    const char *pattern = luaL_checklstring(L, 2, &patternLength);
    size_t offset = startOffset(luaL_optinteger(L, 3, 1), subjectLength);
    if (offset > subjectLength) {
        luaL_pushfail(L);
        return 1;
    }
    CMailshWork work;
    CMailshWork_init(&work, L);
    if (find && (lua_toboolean(L, 4) || !hasSpecials(pattern, patternLength))) {
        const char *found = memmem(subject + offset, subjectLength - offset, pattern, patternLength);
        CMailshWork_charge(&work, 1 + (subjectLength - offset) / 64);
        if (found) {
            CMailshWork_done(&work);
            lua_pushinteger(L, (lua_Integer)(found - subject) + 1);
            lua_pushinteger(L, (lua_Integer)(found - subject + patternLength));
            return 2;
        }
    } else {
        int anchored = *pattern == '^';
        if (anchored) {
            pattern++;
            patternLength--;
        }
        Matcher m;
        startMatcher(&m, L, &work, subject, subjectLength, pattern, patternLength);
        const char *start = subject + offset;
        do {
            resetMatcher(&m);
            const char *end = match(&m, start, pattern);
            if (end) {
                CMailshWork_done(&work);
                if (find) {
                    lua_pushinteger(L, (lua_Integer)(start - subject) + 1);
                    lua_pushinteger(L, (lua_Integer)(end - subject));
                    return pushCaptures(&m, NULL, NULL) + 2;
                }
                return pushCaptures(&m, start, end);
            }
        } while (start++ < m.subjectEnd && !anchored);
    }
    CMailshWork_done(&work);
    luaL_pushfail(L);
    return 1;
}

static int boundedFind(lua_State *L) { return findOrMatch(L, 1); }

static int boundedMatch(lua_State *L) { return findOrMatch(L, 0); }

/* The state of a `string.gmatch` iterator (a userdata; the subject and the pattern are its closure's upvalues). */
typedef struct Iteration {
    const char *pattern;
    const char *next;
    const char *lastMatch;
    Matcher m;
} Iteration;

static int gmatchStep(lua_State *L) {
    Iteration *iteration = lua_touserdata(L, lua_upvalueindex(3));
    CMailshWork work;
    CMailshWork_init(&work, L);
    iteration->m.L = L; /* the iterator may be called from another coroutine */
    iteration->m.work = &work;
    for (const char *start = iteration->next; start <= iteration->m.subjectEnd; start++) {
        resetMatcher(&iteration->m);
        const char *end = match(&iteration->m, start, iteration->pattern);
        if (end != NULL && end != iteration->lastMatch) {
            iteration->next = iteration->lastMatch = end;
            CMailshWork_done(&work);
            return pushCaptures(&iteration->m, start, end);
        }
    }
    CMailshWork_done(&work);
    return 0;
}

static int boundedGmatch(lua_State *L) {
    size_t subjectLength, patternLength;
    const char *subject = luaL_checklstring(L, 1, &subjectLength);
    const char *pattern = luaL_checklstring(L, 2, &patternLength);
    size_t offset = startOffset(luaL_optinteger(L, 3, 1), subjectLength);
    if (offset > subjectLength) offset = subjectLength + 1; /* nothing to iterate */
    lua_settop(L, 2);
    Iteration *iteration = lua_newuserdatauv(L, sizeof(Iteration), 0);
    startMatcher(&iteration->m, L, NULL, subject, subjectLength, pattern, patternLength);
    iteration->pattern = pattern;
    iteration->next = subject + offset;
    iteration->lastMatch = NULL;
    lua_pushcclosure(L, gmatchStep, 3);
    return 1;
}

/* A replacement string: `%0`…`%9` stand for captures, `%%` for a percent sign. */
static void addReplacement(Matcher *m, luaL_Buffer *buffer, const char *s, const char *e) {
    lua_State *L = m->L;
    size_t length;
    const char *text = lua_tolstring(L, 3, &length);
    const char *escape;
    while ((escape = memchr(text, ESCAPE, length)) != NULL) {
        luaL_addlstring(buffer, text, (size_t)(escape - text));
        escape++;
        if (*escape == ESCAPE) {
            luaL_addchar(buffer, ESCAPE);
        } else if (*escape == '0') {
            luaL_addlstring(buffer, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)*escape)) {
            pushCapture(m, *escape - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(buffer);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESCAPE);
        }
        length -= (size_t)(escape + 1 - text);
        text = escape + 1;
        CMailshWork_charge(m->work, 1);
    }
    luaL_addlstring(buffer, text, length);
    CMailshWork_charge(m->work, 1 + length / 64);
}

/* Adds the replacement of the match `s`…`e`; returns whether anything was replaced. */
static int addReplacementValue(Matcher *m, luaL_Buffer *buffer, const char *s, const char *e, int kind) {
    lua_State *L = m->L;
    switch (kind) {
    case LUA_TFUNCTION: {
        lua_pushvalue(L, 3);
        int count = pushCaptures(m, s, e);
        lua_call(L, count, 1);
        break;
    }
    case LUA_TTABLE:
        pushCapture(m, 0, s, e);
        lua_gettable(L, 3);
        break;
    default:
        addReplacement(m, buffer, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the original text */
        lua_pop(L, 1);
        luaL_addlstring(buffer, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(buffer);
    return 1;
}

static int boundedGsub(lua_State *L) {
    size_t subjectLength, patternLength;
    const char *source = luaL_checklstring(L, 1, &subjectLength);
    const char *pattern = luaL_checklstring(L, 2, &patternLength);
    int kind = lua_type(L, 3);
    lua_Integer limit = luaL_optinteger(L, 4, (lua_Integer)subjectLength + 1);
    luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION || kind == LUA_TTABLE,
                     3, "string/function/table");
    int anchored = *pattern == '^';
    if (anchored) {
        pattern++;
        patternLength--;
    }
    CMailshWork work;
    CMailshWork_init(&work, L);
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    Matcher m;
    startMatcher(&m, L, &work, source, subjectLength, pattern, patternLength);
    const char *lastMatch = NULL;
    lua_Integer count = 0;
    int changed = 0;
    while (count < limit) {
        resetMatcher(&m);
        const char *end = match(&m, source, pattern);
        if (end != NULL && end != lastMatch) {
            count++;
            changed = addReplacementValue(&m, &buffer, source, end, kind) | changed;
            source = lastMatch = end;
        } else if (source < m.subjectEnd) {
            luaL_addchar(&buffer, *source++);
        } else {
            break;
        }
        if (anchored) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&buffer, source, (size_t)(m.subjectEnd - source));
        luaL_pushresult(&buffer);
    }
    lua_pushinteger(L, count);
    CMailshWork_done(&work);
    return 2;
}

/* MARK: - Installing */

void CMailshLuaBridge_openBounded(lua_State *L) {
    static const luaL_Reg stringFunctions[] = {
        {"rep", boundedRep},   {"find", boundedFind}, {"match", boundedMatch},
        {"gmatch", boundedGmatch}, {"gsub", boundedGsub}, {NULL, NULL},
    };
    static const luaL_Reg tableFunctions[] = {
        {"move", boundedMove}, {"insert", boundedInsert}, {"remove", boundedRemove}, {"concat", boundedConcat},
        {NULL, NULL},
    };
    /* The string metatable's __index is this same table, so ("x"):rep(3) gets the bounded version too. */
    lua_getglobal(L, LUA_STRLIBNAME);
    luaL_setfuncs(L, stringFunctions, 0);
    lua_pop(L, 1);
    lua_getglobal(L, LUA_TABLIBNAME);
    luaL_setfuncs(L, tableFunctions, 0);
    lua_getfield(L, -1, "sort");
    lua_pushcclosure(L, boundedSort, 1);
    lua_setfield(L, -2, "sort");
    lua_pop(L, 1);
}
