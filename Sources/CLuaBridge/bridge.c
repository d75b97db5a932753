#include "CLuaBridge.h"
#include <lua5.4/lua.h>
int CMailshLuaBridge_version(void) { return LUA_VERSION_NUM; }
