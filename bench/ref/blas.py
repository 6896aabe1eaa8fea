#!/usr/bin/env python3
"""Which BLAS numpy or torch actually loaded: the reference for bench/ is only fair on a tuned one.

Usage: blas.py numpy|torch
Imports the module, then prints one JSON object: {"module", "version", "libraries": [...]} where
each library is {"path", "api", "version"}. threadpoolctl names them when it is installed;
otherwise the shared objects mapped into this process (/proc/self/maps) that look like a BLAS.
The runtime mapping is what counts: numpy's and torch's build configs name what they were built
against, and Debian's alternatives system may have switched the library since.
"""
import json
import os
import re
import sys

BLAS_LIKE = re.compile(r"(blas|lapack|mkl_rt|mkl_core|libblis|libatlas|libsatlas|libtatlas)[^/]*\.so", re.I)


def from_threadpoolctl():
    try:
        from threadpoolctl import threadpool_info
    except Exception:
        return None
    libs = [{"path": p.get("filepath"), "api": p.get("internal_api"), "version": p.get("version")}
            for p in threadpool_info() if p.get("user_api") == "blas"]
    return libs or None


def from_maps():
    paths = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and BLAS_LIKE.search(os.path.basename(parts[-1])) and parts[-1] not in paths:
                paths.append(parts[-1])
    return [{"path": p, "api": None, "version": None} for p in paths]


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "numpy"
    if name not in ("numpy", "torch"):
        sys.exit(f"blas.py: expected numpy or torch, not {name!r}")
    mod = __import__(name)
    if name == "torch":  # make sure torch's BLAS is mapped: run one matmul
        mod.ones(4, 4) @ mod.ones(4, 4)
    else:
        mod.ones((4, 4), dtype=mod.float32) @ mod.ones((4, 4), dtype=mod.float32)
    libs = from_threadpoolctl() or from_maps()
    print(json.dumps({"module": name, "version": getattr(mod, "__version__", None), "libraries": libs}))


if __name__ == "__main__":
    main()
