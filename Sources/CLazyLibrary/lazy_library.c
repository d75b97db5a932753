/* CLazyLibrary is a header (include/lazy_library.h); SwiftPM wants one source file in a C target. */
#include "lazy_library.h"
