#!/usr/bin/env bash
# The addon under AddressSanitizer + UndefinedBehaviorSanitizer: builds it CPU-only into build-asan/ (cmake-js, so
# build/ is untouched) and runs the CPU jest suite, the fuzz test of the N-API boundary included, against it. Any
# report fails the run: ASan halts on its first error, UBSan is built with -fno-sanitize-recover, and a report in a
# child process fails that child's test. node itself is not instrumented, so the runtimes are LD_PRELOADed into
# it (child processes inherit LD_PRELOAD). Leak detection is off: V8 and node keep memory until exit by design;
# leaks of ours are measured by test/leaks.test.ts instead.
#   bash scripts/test/sanitizers.sh                    build (incrementally) and run the whole CPU suite
#   bash scripts/test/sanitizers.sh test/fuzz-binding  build and run only the named jest paths
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f dist/index.js ] || npm run build:ts
FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
npx cmake-js compile --out build-asan --CDLORAGA_CPU_ONLY=ON --CDCMAKE_CXX_FLAGS="$FLAGS" \
  --CDCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
LOG=build-asan/reports
rm -rf "$LOG" && mkdir -p "$LOG"
# log_path: every process (jest workers, the fuzz children) writes its reports to its own file, so a report is
# seen even when the test that caused it swallowed the child's stderr.
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$PWD/$LOG/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$PWD/$LOG/ubsan"
# The python references test the formats, not memory safety (and python under the preload is noise): off here.
export LORAGA_PYTHON=none LORAGA_BINARY=build-asan/Release/loraga.node
status=0
if [ $# -gt 0 ]; then
  npx jest "$@" || status=$?
else
  # leaks.test measures RSS, which under ASan is its quarantine of freed memory (hundreds of MiB by design): it runs
  # in the plain passes instead.
  npx jest --testPathIgnorePatterns pack.test demo.test leaks.test || status=$?
fi
unset LD_PRELOAD
if compgen -G "$LOG/*" >/dev/null; then
  echo "sanitizers: reports found:" >&2
  for f in "$LOG"/*; do echo "--- $f" >&2; head -n 60 "$f" >&2; done
  exit 1
fi
[ "$status" -eq 0 ] || { echo "sanitizers: jest failed (status $status)" >&2; exit "$status"; }
echo "sanitizers: ASan + UBSan, 0 reports"
