#!/usr/bin/env bash
# Mutation test of our CUDA kernels without a GPU: applies each mutant of test/mutants/kernels.txt alone to
# csrc/cuda/*.cu, runs the fake-CUDA suite (scripts/gpu/test-cuda-fake.sh: the real kernels on the CPU), and fails
# if any mutant survives. Sources are restored after each mutant, also on Ctrl-C.
set -uo pipefail
cd "$(dirname "$0")/../.."
list=test/mutants/kernels.txt
survivors=0 killed=0
restore() { [ -n "${file:-}" ] && [ -f "$file.orig-mutant" ] && mv -f "$file.orig-mutant" "$file"; }
trap 'restore; exit 130' INT TERM
while IFS=$'\t' read -r file from to; do
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
  if bash scripts/gpu/test-cuda-fake.sh --silent >/tmp/loraga-mutant.log 2>&1; then
    echo "SURVIVED  $file: $to"; survivors=$((survivors + 1))
  else
    echo "killed    $file: $to"; killed=$((killed + 1))
  fi
  restore
  touch "$file"
done <"$list"
echo "kernel-mutants: $killed killed, $survivors survived"
[ "$survivors" -eq 0 ]
