#!/usr/bin/env bash
# Mutation test of our C++ without a GPU: applies each mutant of test/mutants/kernels.txt alone to its csrc/ file,
# runs the suite the line names, and fails if any mutant survives. Suites: the fake-CUDA suite (the default:
# scripts/gpu/test-cuda-fake.sh, the real CUDA kernels on the CPU), or `cpu <jest paths>`: the CPU build (cmake-js,
# incremental) and those jest files. Sources are restored after each mutant, also on Ctrl-C, and the CPU build is
# rebuilt from them at the end if a cpu mutant ran.
set -uo pipefail
cd "$(dirname "$0")/../.."
list=${MUTANTS:-test/mutants/kernels.txt}  # MUTANTS=<file>: another list (e.g. only new lines)
survivors=0 killed=0 cpuBuilt=0
restore() { [ -n "${file:-}" ] && [ -f "$file.orig-mutant" ] && mv -f "$file.orig-mutant" "$file"; }
trap 'restore; exit 130' INT TERM
while IFS=$'\t' read -r file from to suite; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  cp "$file" "$file.orig-mutant"
  if ! python3 - "$file" "$from" "$to" <<'PY'
import sys
f, a, b = sys.argv[1:]
s = open(f).read()
if s.count(a) != 1: sys.exit(f"{f}: '{a}' occurs {s.count(a)} times (must be once)")
open(f, 'w').write(s.replace(a, b))
PY
  then restore; echo "kernel-mutants: bad mutant line for $file" >&2; exit 2; fi
  touch "$file"
  if [[ "${suite:-}" == cpu\ * ]]; then
    cpuBuilt=1
    # shellcheck disable=SC2086  # the jest paths are words
    run() { npx cmake-js compile --out build >/tmp/loraga-mutant.log 2>&1 &&
      LORAGA_BINARY=build/Release/loraga.node LORAGA_PYTHON=none npx jest --silent ${suite#cpu } >>/tmp/loraga-mutant.log 2>&1; }
  else
    run() { bash scripts/gpu/test-cuda-fake.sh --silent >/tmp/loraga-mutant.log 2>&1; }
  fi
  if run; then
    echo "SURVIVED  $file: $to"; survivors=$((survivors + 1))
  else
    echo "killed    $file: $to"; killed=$((killed + 1))
  fi
  restore
  touch "$file"
done <"$list"
if [ "$cpuBuilt" -eq 1 ]; then npx cmake-js compile --out build >/dev/null 2>&1 || echo "kernel-mutants: rebuilding build/ failed" >&2; fi
echo "kernel-mutants: $killed killed, $survivors survived"
[ "$survivors" -eq 0 ]
