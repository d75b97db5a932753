#include "CSQLiteConfig.h"
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int CMailshSQLite_disableMemoryStatistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* MARK: - SQLite's blocks, small ones kept per thread for reuse

   Every block has an 8-byte header before it holding its capacity, as SQLite's own allocator keeps its size there.
   Blocks of up to SMALL_MAX bytes are allocated with the whole of their class (a multiple of SMALL_STEP); a freed one
   goes to a list of its class kept by the freeing thread (at most SMALL_CACHE bytes a thread), and the next request
   of that class on that thread takes it. The lists are the thread's own, so no lock is taken; a block may be freed
   by another thread than the one that allocated it (it is malloc's either way). A thread's lists are freed when it
   ends. */

#define SMALL_STEP 64
#define SMALL_CLASSES 32
#define SMALL_MAX (SMALL_STEP * SMALL_CLASSES)
#define SMALL_CACHE ((size_t)256 << 10)
#define HEADER 8

typedef struct SmallLists {
    void *first[SMALL_CLASSES];
    size_t bytes;
    int registered;
} SmallLists;

/* Initial-exec: this code is linked into the program, so the thread's lists are found without a call. */
static __thread __attribute__((tls_model("initial-exec"))) SmallLists smallLists;
static pthread_key_t smallListsKey;

/* The capacity stored in a block's header. */
static inline int64_t *headerOf(void *block) { return (int64_t *)((char *)block - HEADER); }

static void drainSmallLists(void *unused) {
    (void)unused;
    for (int cls = 0; cls < SMALL_CLASSES; cls++) {
        void *block = smallLists.first[cls];
        while (block != NULL) {
            void *next = *(void **)block;
            free(headerOf(block));
            block = next;
        }
        smallLists.first[cls] = NULL;
    }
    smallLists.bytes = 0;
}

void *CMailshSQLite_blockAllocate(int size) {
    if (size <= 0) return NULL;
    if (size <= SMALL_MAX) {
        int cls = (size - 1) / SMALL_STEP;
        void *block = smallLists.first[cls];
        if (block != NULL) {
            smallLists.first[cls] = *(void **)block;
            smallLists.bytes -= (size_t)(cls + 1) * SMALL_STEP;
            return block;
        }
        size = (cls + 1) * SMALL_STEP;
    }
    int64_t *header = malloc((size_t)size + HEADER);
    if (header == NULL) return NULL;
    *header = size;
    return (char *)header + HEADER;
}

void CMailshSQLite_blockFree(void *block) {
    if (block == NULL) return;
    int64_t capacity = *headerOf(block);
    if (capacity <= SMALL_MAX && smallLists.bytes + (size_t)capacity <= SMALL_CACHE) {
        if (!smallLists.registered) {
            /* The thread's lists are freed when it ends (a thread-specific value runs its destructor then). */
            smallLists.registered = 1;
            pthread_setspecific(smallListsKey, &smallLists);
        }
        int cls = (int)(capacity / SMALL_STEP) - 1;
        *(void **)block = smallLists.first[cls];
        smallLists.first[cls] = block;
        smallLists.bytes += (size_t)capacity;
        return;
    }
    free(headerOf(block));
}

int CMailshSQLite_blockSize(void *block) { return block == NULL ? 0 : (int)*headerOf(block); }

void *CMailshSQLite_blockResize(void *block, int size) {
    if (block == NULL) return CMailshSQLite_blockAllocate(size);
    int64_t capacity = *headerOf(block);
    if (capacity > SMALL_MAX && size > SMALL_MAX) {
        int64_t *header = realloc(headerOf(block), (size_t)size + HEADER);
        if (header == NULL) return NULL;
        *header = size;
        return (char *)header + HEADER;
    }
    if (capacity <= SMALL_MAX && size <= capacity && size > capacity - SMALL_STEP) return block;
    void *result = CMailshSQLite_blockAllocate(size);
    if (result == NULL) return NULL;
    memcpy(result, block, (size_t)(capacity < size ? capacity : size));
    CMailshSQLite_blockFree(block);
    return result;
}

static int blockRoundup(int size) { return (size + 7) & ~7; }

static int blockInit(void *unused) {
    (void)unused;
    return SQLITE_OK;
}

static void blockShutdown(void *unused) { (void)unused; }

static pthread_once_t smallListsOnce = PTHREAD_ONCE_INIT;
static int smallListsKeyMade;
static void makeSmallListsKey(void) { smallListsKeyMade = pthread_key_create(&smallListsKey, drainSmallLists) == 0; }

int CMailshSQLite_cacheSmallBlocks(void) {
    pthread_once(&smallListsOnce, makeSmallListsKey);
    if (!smallListsKeyMade) return SQLITE_ERROR;
    static const sqlite3_mem_methods methods = {
        CMailshSQLite_blockAllocate, CMailshSQLite_blockFree, CMailshSQLite_blockResize, CMailshSQLite_blockSize, blockRoundup, blockInit, blockShutdown, NULL,
    };
    return sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
}
