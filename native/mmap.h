// mmap.c: a whole file mapped privately (copy-on-write) for in-place weights.
#ifndef PONDER_MMAP_H
#define PONDER_MMAP_H
#include <stddef.h>
// The mapping and its length, or NULL with a message naming the file in err.
void *map_file(const char *path, size_t *len, char *err, size_t errlen);
void unmap_file(void *p, size_t len);
#endif
