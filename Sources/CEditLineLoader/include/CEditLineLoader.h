/* Nothing to import: CEditLineLoader only defines, for the linker, the libedit functions CEditLine's user calls and
   the accessors of its variables that CEditLine's shim.h declares (loader.c). */
