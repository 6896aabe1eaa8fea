// Thread placement for the big parallel kernels. This machine has 2 cores and is often shared:
// left to the OS, a busy core can leave both of our threads stacked on the other one, where a
// thread spin-waiting for its partner stalls everything (2-thread GEMM went from ~400 to ~5
// GFLOP/s). Binding every thread for the whole process (OMP_PROC_BIND) fixes that but also
// traps the main thread on one core for its single-threaded work. So the binding is per region:
// before a parallel region the calling thread pins itself to the core it is on, each worker pins
// itself to a different core, and afterwards the caller is released. Three system calls (~µs)
// per region at most (a worker already on its CPU skips its call), used only by the big kernels
// (GEMM, attention). PONDER_PIN=0 turns it off.
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

static cpu_set_t allowed;  // the process's CPUs when first used
static __thread int pinned = -1; // the CPU this worker thread last pinned itself to
static int cpus[CPU_SETSIZE], ncpu = -1;

static int enabled(void) {
  if (ncpu < 0) {
    const char *e = getenv("PONDER_PIN");
    ncpu = 0;
    if ((e && strcmp(e, "0") == 0) || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
    for (int i = 0; i < CPU_SETSIZE; i++)
      if (CPU_ISSET(i, &allowed)) cpus[ncpu++] = i;
  }
  return ncpu > 1;
}

int team_pin_caller(int nt) {
  if (nt < 2 || !enabled() || nt > ncpu) return -1;
  int c = sched_getcpu();
  if (c < 0) return -1;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(c, &one);
  sched_setaffinity(0, sizeof one, &one);
  return c;
}

void team_pin_worker(int caller_cpu) {
  int t = omp_get_thread_num();
  if (caller_cpu < 0 || t == 0) return;
  // worker t takes the t-th allowed CPU, skipping the caller's
  int k = 0;
  for (int i = 0; i < ncpu; i++) {
    if (cpus[i] == caller_cpu) continue;
    if (++k == t) {
      if (pinned == cpus[i]) return; // still there from the last region: no system call
      pinned = cpus[i];
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpus[i], &one);
      sched_setaffinity(0, sizeof one, &one);
      return;
    }
  }
}

void team_release_caller(int caller_cpu) {
  if (caller_cpu >= 0) sched_setaffinity(0, sizeof allowed, &allowed);
}
