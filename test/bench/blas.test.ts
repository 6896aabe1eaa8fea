// The benchmark names the BLAS behind its references and gives no ratio against the reference
// BLAS (issue 13, item 12); the matmul table's spread is computed from every run (item 14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import { classifyBlas, loadedBlas, referenceProblem, type BlasLibrary } from '../../bench/ref/blas.ts';
import { torchMissingReason } from '../../bench/ref/torch_env.ts';
import { spread } from '../../bench/matmul.ts';

const lib = (path: string, api: string | null = null, version: string | null = null): BlasLibrary => ({ path, api, version });
const ARCH = '/usr/lib/x86_64-linux-gnu';

test("Debian's layouts: OpenBLAS through the alternatives, the reference BLAS, none", () => {
  const openblas = classifyBlas([lib(`${ARCH}/openblas-pthread/liblapack.so.3`), lib(`${ARCH}/openblas-pthread/libopenblasp-r0.3.21.so`), lib(`${ARCH}/openblas-pthread/libblas.so.3`)]);
  assert.deepEqual(openblas, { name: 'OpenBLAS', version: '0.3.21', path: `${ARCH}/openblas-pthread/libopenblasp-r0.3.21.so`, tuned: true });
  // libblas3's netlib build: what `apt-get install python3-numpy` alone brings
  const reference = classifyBlas([lib(`${ARCH}/blas/libblas.so.3.11.0`), lib(`${ARCH}/lapack/liblapack.so.3.11.0`)]);
  assert.equal(reference.name, 'reference BLAS');
  assert.equal(reference.tuned, false);
  assert.deepEqual(classifyBlas([]), { name: 'none found', version: null, path: null, tuned: false });
});

test('threadpoolctl and wheel layouts: MKL, BLIS, a bundled OpenBLAS', () => {
  assert.deepEqual(classifyBlas([lib('/opt/conda/lib/libmkl_rt.so.2', 'mkl', '2023.1')]),
    { name: 'MKL', version: '2023.1', path: '/opt/conda/lib/libmkl_rt.so.2', tuned: true });
  assert.equal(classifyBlas([lib(`${ARCH}/blis-openmp/libblas.so.3`)]).name, 'BLIS');
  const wheel = classifyBlas([lib('/venv/lib/python3.11/site-packages/numpy.libs/libopenblas64_p-r0.3.23-dev-a0c6a3b8.so')]);
  assert.equal(wheel.name, 'OpenBLAS');
  assert.equal(wheel.version, '0.3.23');
});

const skipPython = torchMissingReason() ?? false;

test('this machine: numpy and torch report what they mapped, and the refusal follows it', { skip: skipPython }, () => {
  for (const m of ['numpy', 'torch'] as const) {
    const b = loadedBlas(m);
    assert.ok(b, `${m}: blas.py failed`);
    assert.equal(referenceProblem(m) === null, b.tuned, `${m}: ${referenceProblem(m)}`);
    if (b.tuned) assert.ok(b.path && existsSync(b.path), `${m}: ${b.path} does not exist`);
    else assert.match(referenceProblem(m)!, /no ratio.*libopenblas0-pthread/);
    // Debian's libopenblas0-pthread registered as the BLAS alternative: both must have loaded it.
    if (blasAlternative().includes('openblas')) assert.equal(b.name, 'OpenBLAS');
  }
});

function blasAlternative(): string {
  try { return readlinkSync('/etc/alternatives/libblas.so.3-x86_64-linux-gnu'); } catch { return ''; }
}

test('spread: median, min and max GFLOP/s from run times', () => {
  // 2 GFLOP in 1, 2, 4 and 10 ms runs
  assert.deepEqual(spread(2e6, [4, 1, 10, 2]), { median: 2e6 / 0.003 / 1e9, min: 2e6 / 0.010 / 1e9, max: 2e6 / 0.001 / 1e9, runs: 4 });
  assert.equal(spread(1e9, [500, 1000, 250]).median, 2); // the middle run: 500 ms
});
