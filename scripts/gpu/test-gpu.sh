#!/usr/bin/env bash
# GPU test suite, twice: plainly, then under compute-sanitizer's memcheck (out-of-bounds / misaligned device accesses,
# leaks of device memory at exit). Run on the GPU machine; on a machine without CUDA the suites skip and say why.
set -euo pipefail
cd "$(dirname "$0")/../.."
node scripts/build/ensure-built.js
if [ -z "${MEMCHECK_ONLY:-}" ]; then  # MEMCHECK_ONLY=1: the plain pass already ran
  node --expose-gc node_modules/.bin/jest --runInBand --verbose test/gpu
fi
SAN="${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}"
if [ ! -x "$SAN" ]; then
  echo "compute-sanitizer not found (set COMPUTE_SANITIZER): memcheck pass skipped" >&2
  exit 1
fi
# --runInBand keeps every test in this one process, so the sanitizer sees all kernels. Left out of this pass: the
# finalizer test (allocates 1.5× the GPU, slow under the sanitizer) and the out-of-memory test (its failing
# cudaMallocAsync is the point). API errors are not reported here: the library checks every status itself and the
# plain run above already holds it to that; memcheck is for device memory accesses and leaks.
"$SAN" --tool memcheck --report-api-errors no --error-exitcode 99 --target-processes all \
  node --expose-gc node_modules/.bin/jest --runInBand --verbose test/gpu -t '^(?!.*(finalizer|larger than the GPU))'
