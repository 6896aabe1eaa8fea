#!/usr/bin/env python3
"""sgemm through numpy (with whatever BLAS it loaded: bench/ref/blas.py says which): the reference
for bench/matmul.ts.

Usage: sgemm.py '[[M, K, N, transA, transB, batch], ...]' [seconds]
Prints one JSON object per line: {"shape": [...], "median", "min", "max": GFLOP/s over the timed
runs, "runs": n}. A batch > 1 is one stacked np.matmul on (batch, M, K) x (batch, K, N) arrays,
as ponder times one call on the same 3-D batch. Each shape is timed repeatedly for about
`seconds` (default 0.5) after a warm-up, at least 5 times.
"""
import json
import statistics
import sys
import time

import numpy as np


def operands(m, k, n, ta, tb, batch):
    rng = np.random.default_rng(0)
    lead = (batch,) if batch > 1 else ()
    a = rng.standard_normal(lead + ((k, m) if ta else (m, k)), dtype=np.float32)
    b = rng.standard_normal(lead + ((n, k) if tb else (k, n)), dtype=np.float32)
    a_op = np.swapaxes(a, -1, -2) if ta else a
    b_op = np.swapaxes(b, -1, -2) if tb else b
    return a_op, b_op, np.empty(lead + (m, n), dtype=np.float32)


def bench(m, k, n, ta, tb, batch, seconds):
    a_op, b_op, c = operands(m, k, n, ta, tb, batch)
    np.matmul(a_op, b_op, out=c)  # warm-up: page faults, thread start
    times, start = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        np.matmul(a_op, b_op, out=c)
        times.append(time.perf_counter() - t)
    flops = 2.0 * m * n * k * batch
    return {"median": flops / statistics.median(times) / 1e9, "min": flops / max(times) / 1e9,
            "max": flops / min(times) / 1e9, "runs": len(times)}


def main():
    shapes = json.loads(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
    for s in shapes:
        m, k, n, ta, tb = s[:5]
        batch = s[5] if len(s) > 5 else 1
        print(json.dumps({"shape": s, **bench(m, k, n, bool(ta), bool(tb), batch, seconds)}), flush=True)


if __name__ == "__main__":
    main()
