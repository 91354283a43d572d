#!/usr/bin/env bash
# Host-logic check of the CUDA backend without a GPU (see test/fake-cuda/README.md): builds the addon's sources
# against a CPU stand-in for the CUDA runtime, kernels, cuBLAS and cuSOLVER, then runs the GPU test suite on it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f /usr/local/cuda/include/cuda_runtime_api.h ]; then
  echo "test-cuda-fake: no CUDA runtime headers in /usr/local/cuda/include: skipped" >&2
  exit 0
fi
D=build/fake-cuda
mkdir -p "$D/lib" "$D/obj"
NAPI_INC=$(node -p "require('node-addon-api').include_dir")
INC=(-Icsrc -I/usr/local/cuda/include -Inode_modules/node-api-headers/include "-I$NAPI_INC"
     -I/usr/include/x86_64-linux-gnu/openblas-pthread -I/usr/include/openblas)
DEFS=(-DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED)
g++ -std=c++17 -O1 -fPIC -shared "${INC[@]}" test/fake-cuda/fake_cublas.cc -o "$D/lib/libcublas.so.13"
g++ -std=c++17 -O1 -fPIC -shared "${INC[@]}" test/fake-cuda/fake_cusolver.cc -o "$D/lib/libcusolver.so.12" -lopenblas
echo 'int loraga_fake_driver;' | gcc -shared -fPIC -x c - -o "$D/lib/libcuda.so.1"
SRCS=(csrc/*.cc csrc/binding/*.cc csrc/composite/*.cc csrc/cpu/*.cc $(ls csrc/cuda/*.cc | grep -v '/stub\.cc$')
      test/fake-cuda/fake_runtime.cc test/fake-cuda/fake_kernels.cc)
# An object is rebuilt when its source or ANY header under csrc/ or test/fake-cuda/ is newer (headers are shared),
# and objects of sources that no longer exist (renamed files) are dropped so they are never linked.
newest_header=$(find csrc test/fake-cuda -name '*.h' -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2)
keep=$(printf '%s\n' "${SRCS[@]}" | tr / _ | sed 's/$/.o/')
for f in "$D"/obj/*.o; do
  [ -e "$f" ] || continue
  if [ "$newest_header" -nt "$f" ] || ! grep -qxF "$(basename "$f")" <<<"$keep"; then rm -f "$f"; fi
done
printf '%s\n' "${SRCS[@]}" | xargs -P "$(nproc)" -I{} sh -c \
  'o="'"$D"'/obj/$(echo {} | tr / _).o"; [ "$o" -nt {} ] || g++ -std=c++17 -O1 -fPIC -fvisibility=hidden '"${INC[*]} ${DEFS[*]}"' -c {} -o "$o"'
g++ -shared -o "$D/loraga.node" "$D"/obj/*.o -lopenblas -ldl
LD_LIBRARY_PATH="$PWD/$D/lib" LORAGA_BINARY="$D/loraga.node" \
  node --expose-gc node_modules/.bin/jest --runInBand --verbose test/gpu test/device.test.ts "$@"
