#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H
#include <stdint.h>

/// Allocation calls (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made
/// by the calling thread since it started. Thread-local, so other threads cannot disturb it.
uint64_t cmc_thread_allocations(void);

#endif
