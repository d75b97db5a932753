/* Nothing to import: CLuaLoader only defines, for the linker, Lua's C API (loader.c). */
