#!/usr/bin/env python3
"""OpenBLAS sgemm through numpy: the reference for bench/matmul.ts.

Usage: sgemm.py '[[M, K, N, transA, transB], ...]' [seconds]
Prints one JSON object per line: {"shape": [M, K, N, transA, transB], "gflops": best, "threads": n}.
Each shape is timed repeatedly for about `seconds` (default 0.5) after a warm-up; the best run counts.
"""
import json
import sys
import time

import numpy as np


def bench(m, k, n, ta, tb, seconds):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    a_op = a.T if ta else a
    b_op = b.T if tb else b
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a_op, b_op, out=c)  # warm-up: page faults, thread start
    best, start, reps = float("inf"), time.perf_counter(), 0
    while reps < 3 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        np.matmul(a_op, b_op, out=c)
        best = min(best, time.perf_counter() - t)
        reps += 1
    return 2.0 * m * n * k / best / 1e9


def threads():
    try:
        from threadpoolctl import threadpool_info  # optional
        return max(p["num_threads"] for p in threadpool_info())
    except Exception:
        return None


def main():
    shapes = json.loads(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
    for s in shapes:
        m, k, n, ta, tb = s
        print(json.dumps({"shape": s, "gflops": bench(m, k, n, bool(ta), bool(tb), seconds), "threads": threads()}), flush=True)


if __name__ == "__main__":
    main()
