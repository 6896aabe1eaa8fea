// Thread placement for the big parallel kernels. This machine has 2 cores and is often shared:
// left to the OS, a busy core can leave both of our threads stacked on the other one, where a
// thread spin-waiting for its partner stalls everything (2-thread GEMM went from ~400 to ~5
// GFLOP/s). Binding every thread for the whole process (OMP_PROC_BIND) fixes that but also
// traps the main thread on one core for its single-threaded work. So the binding is per region:
// before a parallel region the calling thread pins itself to the core it is on, each worker pins
// itself to a different core, and afterwards the caller is released. Workers stay where they
// were pinned, so usually nothing needs moving: when every worker is already on a CPU of its own
// and the caller is on none of them, the region starts with no system call at all (decoding runs
// ~60 small regions per token, and two affinity calls each cost it a fifth of its time). Only a
// clash (the OS moved the caller onto a worker's CPU) pays for the pinning, and long regions
// (team_pin_caller_long: big GEMMs) always pin the caller. PONDER_PIN=0 turns placement off.
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common.h"

static cpu_set_t allowed;  // the process's CPUs when first used
static __thread int pinned = -1; // the CPU this worker thread last pinned itself to
static int cpus[CPU_SETSIZE], ncpu = -1;
#define MAXW 64
static int worker_cpu[MAXW]; // CPU that worker t last pinned itself to (-1: not yet), written by the worker

static int enabled(void) {
  if (ncpu < 0) {
    const char *e = getenv("PONDER_PIN");
    for (int t = 0; t < MAXW; t++) worker_cpu[t] = -1;
    ncpu = 0;
    if ((e && strcmp(e, "0") == 0) || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
    for (int i = 0; i < CPU_SETSIZE; i++)
      if (CPU_ISSET(i, &allowed)) cpus[ncpu++] = i;
  }
  return ncpu > 1;
}

// ---- slow workers ----
// On a shared machine one of our threads can sit on a core that another process also wants: it
// then runs at half speed or waits out a whole time slice. A big kernel absorbs that (dynamic
// chunks), but a decode step runs dozens of regions of a few microseconds, split evenly, and
// each waits for the slow thread, so two threads end up slower than one. Each region using
// PAR_REGION notes when every thread finished its share; when the workers keep finishing well
// after the caller, the small latency-bound kernels (team_small) run on the calling thread alone
// for a while, then try the team again, backing off while it stays slow. Only kernels whose
// results do not depend on the thread count use team_small.
// What counts as slow (team_observe): the caller waited longer than its own share took and
// longer than a worker needs to wake up on an idle core (SLOW_WAIT_NS; a virtual CPU woken from
// halt takes tens of microseconds, a core busy with another process a time slice, milliseconds),
// in two team regions in a row. One late arrival is no evidence: the first region after the
// team was idle, or after a calm period, wakes a sleeping worker. Calm periods are capped, so a
// machine that turned quiet is back on the team within a few thousand small regions.
#define SLOW_WAIT_NS 200000L
#define CALM_MIN 64
#define CALM_MAX 4096
static long region_t0, region_nt, done_t[MAXW];
static long calm, backoff = CALM_MIN, strikes; // small regions left alone; the next calm period; slow regions in a row

static inline long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

int team_small(int nt) {
  static int off = -1; // PONDER_NOADAPT=1: always the full team (to measure the difference)
  if (off < 0) off = getenv("PONDER_NOADAPT") != NULL;
  if (nt < 2 || off) return nt;
  if (calm > 0) {
    calm--;
    return 1;
  }
  return nt;
}

void team_observe(long own_ns, long wait_ns) {
  if (wait_ns > SLOW_WAIT_NS && wait_ns > own_ns) {
    if (++strikes < 2) return;
    strikes = 0;
    calm = backoff;
    if (backoff < CALM_MAX) backoff *= 2;
  } else {
    strikes = 0;
    if (backoff > CALM_MIN) backoff /= 2;
  }
}

void team_policy_reset(void) {
  calm = 0;
  backoff = CALM_MIN;
  strikes = 0;
}

static void region_begin(int nt) {
  if (omp_in_parallel()) return; // a region nested in another (one thread): the outer one counts
  region_nt = nt < MAXW ? nt : MAXW;
  if (nt < 2) return;
  for (int t = 0; t < region_nt; t++) done_t[t] = 0;
  region_t0 = now_ns();
}

void team_thread_done(void) {
  if (omp_get_level() != 1) return;
  int t = omp_get_thread_num();
  if (t < MAXW) __atomic_store_n(&done_t[t], now_ns(), __ATOMIC_RELAXED);
}

static void region_end(void) {
  if (omp_in_parallel() || region_nt < 2) return;
  long mine = done_t[0], last = 0;
  if (!mine) return; // a region without the PAR_REGION hooks
  for (int t = 1; t < region_nt; t++) {
    long w = __atomic_load_n(&done_t[t], __ATOMIC_RELAXED);
    if (!w) return;
    if (w > last) last = w;
  }
  team_observe(mine - region_t0, last - mine);
}

// A caller CPU c travels to the workers as c (the caller pinned itself: workers place themselves
// around it) or as -2 - c (fast path: the caller did nothing, workers check they are not on c).
static int place_caller(int nt, int always) {
  region_begin(nt);
  if (nt < 2 || !enabled() || nt > ncpu || nt > MAXW) return -1;
  int c = sched_getcpu();
  if (c < 0) return -1;
  int clash = always;
  for (int t = 1; t < nt && !clash; t++) {
    int w = __atomic_load_n(&worker_cpu[t], __ATOMIC_RELAXED);
    clash = w < 0 || w == c;
    for (int u = 1; u < t && !clash; u++) clash = __atomic_load_n(&worker_cpu[u], __ATOMIC_RELAXED) == w;
  }
  if (!clash) return -2 - c;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(c, &one);
  sched_setaffinity(0, sizeof one, &one);
  return c;
}

int team_pin_caller(int nt) { return place_caller(nt, 0); }

// A region that runs for milliseconds (a big GEMM): an unpinned caller could be moved onto a
// worker's CPU by the load balancer halfway through, leaving both threads on one core (one
// thread's speed, or less) while the other core is free or busy elsewhere. Two affinity calls
// are nothing against such a region, so the caller is always pinned.
int team_pin_caller_long(int nt) { return place_caller(nt, 1); }

void team_pin_worker(int caller_cpu) {
  int t = omp_get_thread_num();
  if (caller_cpu == -1 || t == 0) return;
  if (caller_cpu <= -2) { // fast path: stay unless this thread is not where the caller believes
    caller_cpu = -2 - caller_cpu;
    if (pinned >= 0 && pinned != caller_cpu && t < MAXW && worker_cpu[t] == pinned) return;
  }
  // worker t takes the t-th allowed CPU, skipping the caller's
  int k = 0;
  for (int i = 0; i < ncpu; i++) {
    if (cpus[i] == caller_cpu) continue;
    if (++k == t) {
      if (t < MAXW) __atomic_store_n(&worker_cpu[t], cpus[i], __ATOMIC_RELAXED);
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
  region_end();
  if (caller_cpu >= 0) sched_setaffinity(0, sizeof allowed, &allowed);
}
