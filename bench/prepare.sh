#!/usr/bin/env bash
# Prepares a Debian machine for `npm run bench`: the references' Python packages and a tuned BLAS.
# Without libopenblas0-pthread, numpy and PyTorch run on Debian's reference BLAS (about 6 GFLOP/s
# sgemm); the benchmark detects that (bench/ref/blas.ts) and prints no ratio against it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y python3-torch python3-numpy libopenblas0-pthread
