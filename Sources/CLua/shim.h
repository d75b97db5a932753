#ifndef MAILSH_CLUA_SHIM_H
#define MAILSH_CLUA_SHIM_H
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#endif
