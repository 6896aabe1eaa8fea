// Memory-maps a whole file privately (copy-on-write), so model weights are used in place: pages
// are read from the page cache on first touch and resident memory stays about the file's size,
// with no f32 copy. A stray write changes only this process's copy, never the file.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mmap.h"

void *map_file(const char *path, size_t *len, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: not a regular file", path);
    close(fd);
    return NULL;
  }
  *len = (size_t)st.st_size;
  if (*len == 0) { snprintf(err, errlen, "%s: the file is empty", path); close(fd); return NULL; }
  void *p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  close(fd); // the mapping keeps the file
  if (p == MAP_FAILED) { snprintf(err, errlen, "%s: mmap failed: %s", path, strerror(errno)); return NULL; }
  return p;
}

void unmap_file(void *p, size_t len) { munmap(p, len); }
