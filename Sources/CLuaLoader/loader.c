/* Lua 5.4's C API (lua.h, lauxlib.h, lualib.h), each function forwarding to liblua5.4.so.0, which the first call opens
   (dlopen): only a process that runs a script (`run`, `lua`, the shell's start-up file) loads Lua. CLua's module map
   links nothing; MailshLua depends on this target.

   Written by a script from Debian's liblua5.4-dev headers: every function they declare with LUA_API, LUALIB_API or
   LUAMOD_API, so a Lua function used for the first time needs nothing here. The variadic ones are at the end:
   lua_pushfstring and luaL_error through lua_pushvfstring (as Lua's own luaL_error does); lua_gc is left out (the
   link fails if it is used). */
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>
#include <stdarg.h>
#include "lazy_library.h"

LAZY_LIBRARY("liblua5.4.so.0", "Debian's liblua5.4-0")

/* The first call of each function looks its address up (lazy_symbol, out of line); every later one is a load, a
   test and a jump, with no frame to set up: a script's table walk calls Lua's API a hundred times per account. */
static __attribute__((noinline, cold)) void *lazy_first(const char *name, void **slot) {
    return lazy_symbol(name, slot);
}
#define REAL(name)                                                                                              \
    ((__typeof__(&name))({                                                                                      \
        void *lazy_found = __atomic_load_n(&lazy_slot_##name, __ATOMIC_ACQUIRE);                                \
        __builtin_expect(lazy_found != NULL, 1) ? lazy_found : lazy_first(#name, &lazy_slot_##name);           \
    }))
#define SLOT(name) LAZY_SLOT(name)

SLOT(lua_newstate);
lua_State * (lua_newstate)(lua_Alloc f, void *ud) { return REAL(lua_newstate)(f, ud); }
SLOT(lua_close);
void (lua_close)(lua_State *L) { REAL(lua_close)(L); }
SLOT(lua_newthread);
lua_State * (lua_newthread)(lua_State *L) { return REAL(lua_newthread)(L); }
SLOT(lua_resetthread);
int (lua_resetthread)(lua_State *L) { return REAL(lua_resetthread)(L); }
SLOT(lua_atpanic);
lua_CFunction (lua_atpanic)(lua_State *L, lua_CFunction panicf) { return REAL(lua_atpanic)(L, panicf); }
SLOT(lua_version);
lua_Number (lua_version)(lua_State *L) { return REAL(lua_version)(L); }
SLOT(lua_absindex);
int (lua_absindex)(lua_State *L, int idx) { return REAL(lua_absindex)(L, idx); }
SLOT(lua_gettop);
int (lua_gettop)(lua_State *L) { return REAL(lua_gettop)(L); }
SLOT(lua_settop);
void (lua_settop)(lua_State *L, int idx) { REAL(lua_settop)(L, idx); }
SLOT(lua_pushvalue);
void (lua_pushvalue)(lua_State *L, int idx) { REAL(lua_pushvalue)(L, idx); }
SLOT(lua_rotate);
void (lua_rotate)(lua_State *L, int idx, int n) { REAL(lua_rotate)(L, idx, n); }
SLOT(lua_copy);
void (lua_copy)(lua_State *L, int fromidx, int toidx) { REAL(lua_copy)(L, fromidx, toidx); }
SLOT(lua_checkstack);
int (lua_checkstack)(lua_State *L, int n) { return REAL(lua_checkstack)(L, n); }
SLOT(lua_xmove);
void (lua_xmove)(lua_State *from, lua_State *to, int n) { REAL(lua_xmove)(from, to, n); }
SLOT(lua_isnumber);
int (lua_isnumber)(lua_State *L, int idx) { return REAL(lua_isnumber)(L, idx); }
SLOT(lua_isstring);
int (lua_isstring)(lua_State *L, int idx) { return REAL(lua_isstring)(L, idx); }
SLOT(lua_iscfunction);
int (lua_iscfunction)(lua_State *L, int idx) { return REAL(lua_iscfunction)(L, idx); }
SLOT(lua_isinteger);
int (lua_isinteger)(lua_State *L, int idx) { return REAL(lua_isinteger)(L, idx); }
SLOT(lua_isuserdata);
int (lua_isuserdata)(lua_State *L, int idx) { return REAL(lua_isuserdata)(L, idx); }
SLOT(lua_type);
int (lua_type)(lua_State *L, int idx) { return REAL(lua_type)(L, idx); }
SLOT(lua_typename);
const char * (lua_typename)(lua_State *L, int tp) { return REAL(lua_typename)(L, tp); }
SLOT(lua_tonumberx);
lua_Number (lua_tonumberx)(lua_State *L, int idx, int *isnum) { return REAL(lua_tonumberx)(L, idx, isnum); }
SLOT(lua_tointegerx);
lua_Integer (lua_tointegerx)(lua_State *L, int idx, int *isnum) { return REAL(lua_tointegerx)(L, idx, isnum); }
SLOT(lua_toboolean);
int (lua_toboolean)(lua_State *L, int idx) { return REAL(lua_toboolean)(L, idx); }
SLOT(lua_tolstring);
const char * (lua_tolstring)(lua_State *L, int idx, size_t *len) { return REAL(lua_tolstring)(L, idx, len); }
SLOT(lua_rawlen);
lua_Unsigned (lua_rawlen)(lua_State *L, int idx) { return REAL(lua_rawlen)(L, idx); }
SLOT(lua_tocfunction);
lua_CFunction (lua_tocfunction)(lua_State *L, int idx) { return REAL(lua_tocfunction)(L, idx); }
SLOT(lua_touserdata);
void * (lua_touserdata)(lua_State *L, int idx) { return REAL(lua_touserdata)(L, idx); }
SLOT(lua_tothread);
lua_State * (lua_tothread)(lua_State *L, int idx) { return REAL(lua_tothread)(L, idx); }
SLOT(lua_topointer);
const void * (lua_topointer)(lua_State *L, int idx) { return REAL(lua_topointer)(L, idx); }
SLOT(lua_arith);
void (lua_arith)(lua_State *L, int op) { REAL(lua_arith)(L, op); }
SLOT(lua_rawequal);
int (lua_rawequal)(lua_State *L, int idx1, int idx2) { return REAL(lua_rawequal)(L, idx1, idx2); }
SLOT(lua_compare);
int (lua_compare)(lua_State *L, int idx1, int idx2, int op) { return REAL(lua_compare)(L, idx1, idx2, op); }
SLOT(lua_pushnil);
void (lua_pushnil)(lua_State *L) { REAL(lua_pushnil)(L); }
SLOT(lua_pushnumber);
void (lua_pushnumber)(lua_State *L, lua_Number n) { REAL(lua_pushnumber)(L, n); }
SLOT(lua_pushinteger);
void (lua_pushinteger)(lua_State *L, lua_Integer n) { REAL(lua_pushinteger)(L, n); }
SLOT(lua_pushlstring);
const char * (lua_pushlstring)(lua_State *L, const char *s, size_t len) { return REAL(lua_pushlstring)(L, s, len); }
SLOT(lua_pushstring);
const char * (lua_pushstring)(lua_State *L, const char *s) { return REAL(lua_pushstring)(L, s); }
SLOT(lua_pushvfstring);
const char * (lua_pushvfstring)(lua_State *L, const char *fmt, va_list argp) { return REAL(lua_pushvfstring)(L, fmt, argp); }
SLOT(lua_pushcclosure);
void (lua_pushcclosure)(lua_State *L, lua_CFunction fn, int n) { REAL(lua_pushcclosure)(L, fn, n); }
SLOT(lua_pushboolean);
void (lua_pushboolean)(lua_State *L, int b) { REAL(lua_pushboolean)(L, b); }
SLOT(lua_pushlightuserdata);
void (lua_pushlightuserdata)(lua_State *L, void *p) { REAL(lua_pushlightuserdata)(L, p); }
SLOT(lua_pushthread);
int (lua_pushthread)(lua_State *L) { return REAL(lua_pushthread)(L); }
SLOT(lua_getglobal);
int (lua_getglobal)(lua_State *L, const char *name) { return REAL(lua_getglobal)(L, name); }
SLOT(lua_gettable);
int (lua_gettable)(lua_State *L, int idx) { return REAL(lua_gettable)(L, idx); }
SLOT(lua_getfield);
int (lua_getfield)(lua_State *L, int idx, const char *k) { return REAL(lua_getfield)(L, idx, k); }
SLOT(lua_geti);
int (lua_geti)(lua_State *L, int idx, lua_Integer n) { return REAL(lua_geti)(L, idx, n); }
SLOT(lua_rawget);
int (lua_rawget)(lua_State *L, int idx) { return REAL(lua_rawget)(L, idx); }
SLOT(lua_rawgeti);
int (lua_rawgeti)(lua_State *L, int idx, lua_Integer n) { return REAL(lua_rawgeti)(L, idx, n); }
SLOT(lua_rawgetp);
int (lua_rawgetp)(lua_State *L, int idx, const void *p) { return REAL(lua_rawgetp)(L, idx, p); }
SLOT(lua_createtable);
void (lua_createtable)(lua_State *L, int narr, int nrec) { REAL(lua_createtable)(L, narr, nrec); }
SLOT(lua_newuserdatauv);
void * (lua_newuserdatauv)(lua_State *L, size_t sz, int nuvalue) { return REAL(lua_newuserdatauv)(L, sz, nuvalue); }
SLOT(lua_getmetatable);
int (lua_getmetatable)(lua_State *L, int objindex) { return REAL(lua_getmetatable)(L, objindex); }
SLOT(lua_getiuservalue);
int (lua_getiuservalue)(lua_State *L, int idx, int n) { return REAL(lua_getiuservalue)(L, idx, n); }
SLOT(lua_setglobal);
void (lua_setglobal)(lua_State *L, const char *name) { REAL(lua_setglobal)(L, name); }
SLOT(lua_settable);
void (lua_settable)(lua_State *L, int idx) { REAL(lua_settable)(L, idx); }
SLOT(lua_setfield);
void (lua_setfield)(lua_State *L, int idx, const char *k) { REAL(lua_setfield)(L, idx, k); }
SLOT(lua_seti);
void (lua_seti)(lua_State *L, int idx, lua_Integer n) { REAL(lua_seti)(L, idx, n); }
SLOT(lua_rawset);
void (lua_rawset)(lua_State *L, int idx) { REAL(lua_rawset)(L, idx); }
SLOT(lua_rawseti);
void (lua_rawseti)(lua_State *L, int idx, lua_Integer n) { REAL(lua_rawseti)(L, idx, n); }
SLOT(lua_rawsetp);
void (lua_rawsetp)(lua_State *L, int idx, const void *p) { REAL(lua_rawsetp)(L, idx, p); }
SLOT(lua_setmetatable);
int (lua_setmetatable)(lua_State *L, int objindex) { return REAL(lua_setmetatable)(L, objindex); }
SLOT(lua_setiuservalue);
int (lua_setiuservalue)(lua_State *L, int idx, int n) { return REAL(lua_setiuservalue)(L, idx, n); }
SLOT(lua_callk);
void (lua_callk)(lua_State *L, int nargs, int nresults, lua_KContext ctx, lua_KFunction k) { REAL(lua_callk)(L, nargs, nresults, ctx, k); }
SLOT(lua_pcallk);
int (lua_pcallk)(lua_State *L, int nargs, int nresults, int errfunc, lua_KContext ctx, lua_KFunction k) { return REAL(lua_pcallk)(L, nargs, nresults, errfunc, ctx, k); }
SLOT(lua_load);
int (lua_load)(lua_State *L, lua_Reader reader, void *dt, const char *chunkname, const char *mode) { return REAL(lua_load)(L, reader, dt, chunkname, mode); }
SLOT(lua_dump);
int (lua_dump)(lua_State *L, lua_Writer writer, void *data, int strip) { return REAL(lua_dump)(L, writer, data, strip); }
SLOT(lua_yieldk);
int (lua_yieldk)(lua_State *L, int nresults, lua_KContext ctx, lua_KFunction k) { return REAL(lua_yieldk)(L, nresults, ctx, k); }
SLOT(lua_resume);
int (lua_resume)(lua_State *L, lua_State *from, int narg, int *nres) { return REAL(lua_resume)(L, from, narg, nres); }
SLOT(lua_status);
int (lua_status)(lua_State *L) { return REAL(lua_status)(L); }
SLOT(lua_isyieldable);
int (lua_isyieldable)(lua_State *L) { return REAL(lua_isyieldable)(L); }
SLOT(lua_setwarnf);
void (lua_setwarnf)(lua_State *L, lua_WarnFunction f, void *ud) { REAL(lua_setwarnf)(L, f, ud); }
SLOT(lua_warning);
void (lua_warning)(lua_State *L, const char *msg, int tocont) { REAL(lua_warning)(L, msg, tocont); }
SLOT(lua_error);
int (lua_error)(lua_State *L) { return REAL(lua_error)(L); }
SLOT(lua_next);
int (lua_next)(lua_State *L, int idx) { return REAL(lua_next)(L, idx); }
SLOT(lua_concat);
void (lua_concat)(lua_State *L, int n) { REAL(lua_concat)(L, n); }
SLOT(lua_len);
void (lua_len)(lua_State *L, int idx) { REAL(lua_len)(L, idx); }
SLOT(lua_stringtonumber);
size_t (lua_stringtonumber)(lua_State *L, const char *s) { return REAL(lua_stringtonumber)(L, s); }
SLOT(lua_getallocf);
lua_Alloc (lua_getallocf)(lua_State *L, void **ud) { return REAL(lua_getallocf)(L, ud); }
SLOT(lua_setallocf);
void (lua_setallocf)(lua_State *L, lua_Alloc f, void *ud) { REAL(lua_setallocf)(L, f, ud); }
SLOT(lua_toclose);
void (lua_toclose)(lua_State *L, int idx) { REAL(lua_toclose)(L, idx); }
SLOT(lua_closeslot);
void (lua_closeslot)(lua_State *L, int idx) { REAL(lua_closeslot)(L, idx); }
SLOT(lua_getstack);
int (lua_getstack)(lua_State *L, int level, lua_Debug *ar) { return REAL(lua_getstack)(L, level, ar); }
SLOT(lua_getinfo);
int (lua_getinfo)(lua_State *L, const char *what, lua_Debug *ar) { return REAL(lua_getinfo)(L, what, ar); }
SLOT(lua_getlocal);
const char * (lua_getlocal)(lua_State *L, const lua_Debug *ar, int n) { return REAL(lua_getlocal)(L, ar, n); }
SLOT(lua_setlocal);
const char * (lua_setlocal)(lua_State *L, const lua_Debug *ar, int n) { return REAL(lua_setlocal)(L, ar, n); }
SLOT(lua_getupvalue);
const char * (lua_getupvalue)(lua_State *L, int funcindex, int n) { return REAL(lua_getupvalue)(L, funcindex, n); }
SLOT(lua_setupvalue);
const char * (lua_setupvalue)(lua_State *L, int funcindex, int n) { return REAL(lua_setupvalue)(L, funcindex, n); }
SLOT(lua_upvalueid);
void * (lua_upvalueid)(lua_State *L, int fidx, int n) { return REAL(lua_upvalueid)(L, fidx, n); }
SLOT(lua_upvaluejoin);
void (lua_upvaluejoin)(lua_State *L, int fidx1, int n1, int fidx2, int n2) { REAL(lua_upvaluejoin)(L, fidx1, n1, fidx2, n2); }
SLOT(lua_sethook);
void (lua_sethook)(lua_State *L, lua_Hook func, int mask, int count) { REAL(lua_sethook)(L, func, mask, count); }
SLOT(lua_gethook);
lua_Hook (lua_gethook)(lua_State *L) { return REAL(lua_gethook)(L); }
SLOT(lua_gethookmask);
int (lua_gethookmask)(lua_State *L) { return REAL(lua_gethookmask)(L); }
SLOT(lua_gethookcount);
int (lua_gethookcount)(lua_State *L) { return REAL(lua_gethookcount)(L); }
SLOT(lua_setcstacklimit);
int (lua_setcstacklimit)(lua_State *L, unsigned int limit) { return REAL(lua_setcstacklimit)(L, limit); }
SLOT(luaL_checkversion_);
void (luaL_checkversion_)(lua_State *L, lua_Number ver, size_t sz) { REAL(luaL_checkversion_)(L, ver, sz); }
SLOT(luaL_getmetafield);
int (luaL_getmetafield)(lua_State *L, int obj, const char *e) { return REAL(luaL_getmetafield)(L, obj, e); }
SLOT(luaL_callmeta);
int (luaL_callmeta)(lua_State *L, int obj, const char *e) { return REAL(luaL_callmeta)(L, obj, e); }
SLOT(luaL_tolstring);
const char * (luaL_tolstring)(lua_State *L, int idx, size_t *len) { return REAL(luaL_tolstring)(L, idx, len); }
SLOT(luaL_argerror);
int (luaL_argerror)(lua_State *L, int arg, const char *extramsg) { return REAL(luaL_argerror)(L, arg, extramsg); }
SLOT(luaL_typeerror);
int (luaL_typeerror)(lua_State *L, int arg, const char *tname) { return REAL(luaL_typeerror)(L, arg, tname); }
SLOT(luaL_checklstring);
const char * (luaL_checklstring)(lua_State *L, int arg, size_t *l) { return REAL(luaL_checklstring)(L, arg, l); }
SLOT(luaL_optlstring);
const char * (luaL_optlstring)(lua_State *L, int arg, const char *def, size_t *l) { return REAL(luaL_optlstring)(L, arg, def, l); }
SLOT(luaL_checknumber);
lua_Number (luaL_checknumber)(lua_State *L, int arg) { return REAL(luaL_checknumber)(L, arg); }
SLOT(luaL_optnumber);
lua_Number (luaL_optnumber)(lua_State *L, int arg, lua_Number def) { return REAL(luaL_optnumber)(L, arg, def); }
SLOT(luaL_checkinteger);
lua_Integer (luaL_checkinteger)(lua_State *L, int arg) { return REAL(luaL_checkinteger)(L, arg); }
SLOT(luaL_optinteger);
lua_Integer (luaL_optinteger)(lua_State *L, int arg, lua_Integer def) { return REAL(luaL_optinteger)(L, arg, def); }
SLOT(luaL_checkstack);
void (luaL_checkstack)(lua_State *L, int sz, const char *msg) { REAL(luaL_checkstack)(L, sz, msg); }
SLOT(luaL_checktype);
void (luaL_checktype)(lua_State *L, int arg, int t) { REAL(luaL_checktype)(L, arg, t); }
SLOT(luaL_checkany);
void (luaL_checkany)(lua_State *L, int arg) { REAL(luaL_checkany)(L, arg); }
SLOT(luaL_newmetatable);
int (luaL_newmetatable)(lua_State *L, const char *tname) { return REAL(luaL_newmetatable)(L, tname); }
SLOT(luaL_setmetatable);
void (luaL_setmetatable)(lua_State *L, const char *tname) { REAL(luaL_setmetatable)(L, tname); }
SLOT(luaL_testudata);
void * (luaL_testudata)(lua_State *L, int ud, const char *tname) { return REAL(luaL_testudata)(L, ud, tname); }
SLOT(luaL_checkudata);
void * (luaL_checkudata)(lua_State *L, int ud, const char *tname) { return REAL(luaL_checkudata)(L, ud, tname); }
SLOT(luaL_where);
void (luaL_where)(lua_State *L, int lvl) { REAL(luaL_where)(L, lvl); }
SLOT(luaL_checkoption);
int (luaL_checkoption)(lua_State *L, int arg, const char *def, const char *const lst[]) { return REAL(luaL_checkoption)(L, arg, def, lst); }
SLOT(luaL_fileresult);
int (luaL_fileresult)(lua_State *L, int stat, const char *fname) { return REAL(luaL_fileresult)(L, stat, fname); }
SLOT(luaL_execresult);
int (luaL_execresult)(lua_State *L, int stat) { return REAL(luaL_execresult)(L, stat); }
SLOT(luaL_ref);
int (luaL_ref)(lua_State *L, int t) { return REAL(luaL_ref)(L, t); }
SLOT(luaL_unref);
void (luaL_unref)(lua_State *L, int t, int ref) { REAL(luaL_unref)(L, t, ref); }
SLOT(luaL_loadfilex);
int (luaL_loadfilex)(lua_State *L, const char *filename, const char *mode) { return REAL(luaL_loadfilex)(L, filename, mode); }
SLOT(luaL_loadbufferx);
int (luaL_loadbufferx)(lua_State *L, const char *buff, size_t sz, const char *name, const char *mode) { return REAL(luaL_loadbufferx)(L, buff, sz, name, mode); }
SLOT(luaL_loadstring);
int (luaL_loadstring)(lua_State *L, const char *s) { return REAL(luaL_loadstring)(L, s); }
SLOT(luaL_newstate);
lua_State * (luaL_newstate)(void) { return REAL(luaL_newstate)(); }
SLOT(luaL_len);
lua_Integer (luaL_len)(lua_State *L, int idx) { return REAL(luaL_len)(L, idx); }
SLOT(luaL_addgsub);
void (luaL_addgsub)(luaL_Buffer *b, const char *s, const char *p, const char *r) { REAL(luaL_addgsub)(b, s, p, r); }
SLOT(luaL_gsub);
const char * (luaL_gsub)(lua_State *L, const char *s, const char *p, const char *r) { return REAL(luaL_gsub)(L, s, p, r); }
SLOT(luaL_setfuncs);
void (luaL_setfuncs)(lua_State *L, const luaL_Reg *l, int nup) { REAL(luaL_setfuncs)(L, l, nup); }
SLOT(luaL_getsubtable);
int (luaL_getsubtable)(lua_State *L, int idx, const char *fname) { return REAL(luaL_getsubtable)(L, idx, fname); }
SLOT(luaL_traceback);
void (luaL_traceback)(lua_State *L, lua_State *L1, const char *msg, int level) { REAL(luaL_traceback)(L, L1, msg, level); }
SLOT(luaL_requiref);
void (luaL_requiref)(lua_State *L, const char *modname, lua_CFunction openf, int glb) { REAL(luaL_requiref)(L, modname, openf, glb); }
SLOT(luaL_buffinit);
void (luaL_buffinit)(lua_State *L, luaL_Buffer *B) { REAL(luaL_buffinit)(L, B); }
SLOT(luaL_prepbuffsize);
char * (luaL_prepbuffsize)(luaL_Buffer *B, size_t sz) { return REAL(luaL_prepbuffsize)(B, sz); }
SLOT(luaL_addlstring);
void (luaL_addlstring)(luaL_Buffer *B, const char *s, size_t l) { REAL(luaL_addlstring)(B, s, l); }
SLOT(luaL_addstring);
void (luaL_addstring)(luaL_Buffer *B, const char *s) { REAL(luaL_addstring)(B, s); }
SLOT(luaL_addvalue);
void (luaL_addvalue)(luaL_Buffer *B) { REAL(luaL_addvalue)(B); }
SLOT(luaL_pushresult);
void (luaL_pushresult)(luaL_Buffer *B) { REAL(luaL_pushresult)(B); }
SLOT(luaL_pushresultsize);
void (luaL_pushresultsize)(luaL_Buffer *B, size_t sz) { REAL(luaL_pushresultsize)(B, sz); }
SLOT(luaL_buffinitsize);
char * (luaL_buffinitsize)(lua_State *L, luaL_Buffer *B, size_t sz) { return REAL(luaL_buffinitsize)(L, B, sz); }
SLOT(luaopen_base);
int (luaopen_base)(lua_State *L) { return REAL(luaopen_base)(L); }
SLOT(luaopen_coroutine);
int (luaopen_coroutine)(lua_State *L) { return REAL(luaopen_coroutine)(L); }
SLOT(luaopen_table);
int (luaopen_table)(lua_State *L) { return REAL(luaopen_table)(L); }
SLOT(luaopen_io);
int (luaopen_io)(lua_State *L) { return REAL(luaopen_io)(L); }
SLOT(luaopen_os);
int (luaopen_os)(lua_State *L) { return REAL(luaopen_os)(L); }
SLOT(luaopen_string);
int (luaopen_string)(lua_State *L) { return REAL(luaopen_string)(L); }
SLOT(luaopen_utf8);
int (luaopen_utf8)(lua_State *L) { return REAL(luaopen_utf8)(L); }
SLOT(luaopen_math);
int (luaopen_math)(lua_State *L) { return REAL(luaopen_math)(L); }
SLOT(luaopen_debug);
int (luaopen_debug)(lua_State *L) { return REAL(luaopen_debug)(L); }
SLOT(luaopen_package);
int (luaopen_package)(lua_State *L) { return REAL(luaopen_package)(L); }
SLOT(luaL_openlibs);
void (luaL_openlibs)(lua_State *L) { REAL(luaL_openlibs)(L); }

const char *(lua_pushfstring)(lua_State *L, const char *fmt, ...) {
    va_list arguments;
    va_start(arguments, fmt);
    const char *pushed = lua_pushvfstring(L, fmt, arguments);
    va_end(arguments);
    return pushed;
}

int (luaL_error)(lua_State *L, const char *fmt, ...) {
    va_list arguments;
    va_start(arguments, fmt);
    luaL_where(L, 1);
    lua_pushvfstring(L, fmt, arguments);
    va_end(arguments);
    lua_concat(L, 2);
    return lua_error(L);
}
