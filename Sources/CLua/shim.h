#ifndef MAILSH_CLUA_SHIM_H
#define MAILSH_CLUA_SHIM_H
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>

/* Lua's function-like macros as functions Swift can call. None of these raises. */
static inline void CMailshLua_pop(lua_State *L, int n) { lua_settop(L, -(n)-1); }
static inline int CMailshLua_registryIndex(void) { return LUA_REGISTRYINDEX; }
static inline int CMailshLua_upvalueIndex(int i) { return lua_upvalueindex(i); }
static inline int CMailshLua_isNoneOrNil(lua_State *L, int index) { return lua_type(L, index) <= 0; }
static inline lua_Integer CMailshLua_toInteger(lua_State *L, int index, int *isNumber) {
    return lua_tointegerx(L, index, isNumber);
}
static inline lua_Number CMailshLua_toNumber(lua_State *L, int index, int *isNumber) {
    return lua_tonumberx(L, index, isNumber);
}
#endif
