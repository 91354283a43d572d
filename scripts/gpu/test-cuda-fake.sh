#!/usr/bin/env bash
# The CUDA backend without a GPU (see test/fake-cuda/README.md): builds the addon's sources against a CPU stand-in
# for the CUDA runtime, cuBLAS and cuSOLVER, with our real kernels run on the CPU (simt.h), then runs the GPU test
# suite on it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f /usr/local/cuda/include/cuda_runtime_api.h ]; then
  echo "test-cuda-fake: no CUDA runtime headers in /usr/local/cuda/include: skipped" >&2
  exit 0
fi
D=build/fake-cuda
# make tracks every header through the compiler's dependency files (test/fake-cuda/Makefile).
make -s -f test/fake-cuda/Makefile D="$D" -j"$(nproc)"
LD_LIBRARY_PATH="$PWD/$D/lib" LORAGA_BINARY="$D/loraga.node" \
  node --expose-gc node_modules/.bin/jest --runInBand --verbose test/gpu test/device.test.ts "$@"
