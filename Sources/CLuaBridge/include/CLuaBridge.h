#ifndef MAILSH_CLUABRIDGE_H
#define MAILSH_CLUABRIDGE_H
/* The trampoline between Lua and Swift callbacks: Lua errors are raised here, in C, so that no longjmp
   ever crosses a Swift frame. Filled in by the Lua host work. */
int CMailshLuaBridge_version(void);
#endif
