// The BF16 decode's inner loop alone, outside ponder and llama.cpp: a file memory-mapped as the
// runner maps it (private, read/write), every K-wide row dotted with one bf16 activation row by two
// vdpbf16ps chains (dot_bf16 in native/quant.c for one token), rows split over OpenMP threads, the
// whole file once per repeat. It shows what streaming the weights costs on this machine at this
// moment, so a slow decode can be told apart from a slow kernel (docs/inference.md, Known gaps).
//
//   gcc -O2 -mavx512f -mavx512bf16 -fopenmp bench/bf16-stream.c -o /tmp/bf16-stream
//   OMP_NUM_THREADS=2 /tmp/bf16-stream /tmp/ponder-bench-gguf/r1-distill-qwen-1.5b-bf16.gguf 1536 12
//
// The first repeat faults the pages in; later ones are the steady state.
#define _GNU_SOURCE
#include <fcntl.h>
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: bf16-stream FILE K REPEATS\n"); return 2; }
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 1; }
  const long K = atol(argv[2]), repeats = atol(argv[3]);
  if (K < 64 || K % 64 != 0) { fprintf(stderr, "K must be a multiple of 64\n"); return 2; }
  const char *m = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED) { perror("mmap"); return 1; }
  uint16_t *a = aligned_alloc(64, K * 2);
  for (long i = 0; i < K; i++) a[i] = 0x3f80; // 1.0 in bf16
  const long N = st.st_size / (K * 2); // the file read as N rows of K bf16 values (header included: speed only)
  float *y = malloc(N * sizeof(float));
  for (long rep = 0; rep < repeats; rep++) {
    double t0 = now();
#pragma omp parallel
    {
      int T = omp_get_num_threads(), t = omp_get_thread_num();
      for (long r = N * t / T; r < N * (t + 1) / T; r++) {
        const uint16_t *w = (const uint16_t *)(m + r * K * 2);
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        for (long k = 0; k < K; k += 64) {
          a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_load_si512(a + k), (__m512bh)_mm512_loadu_si512(w + k));
          a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_load_si512(a + k + 32), (__m512bh)_mm512_loadu_si512(w + k + 32));
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
      }
    }
    double s = now() - t0;
    printf("repeat %ld: %.1f ms, %.1f GB/s\n", rep + 1, s * 1e3, N * K * 2 / s / 1e9);
  }
  return 0;
}
