/* Nothing to import: CCaresLoader only defines, for the linker, the c-ares functions CCares's user calls (loader.c). */
