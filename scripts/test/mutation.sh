#!/usr/bin/env bash
# Mutation testing of lib/ with Stryker (stryker.config.mjs), then the score per folder
# (scripts/test/mutation-scores.js, non-zero when lib/init, lib/train, lib/io or lib/peft is under 90 %).
#   bash scripts/test/mutation.sh              all of lib/ (hours on 2 cores; per folder is the usual way)
#   bash scripts/test/mutation.sh lib/io       one folder, with the suites that test it (test/mutation/jest.config.js)
#   bash scripts/test/mutation.sh lib/init/rng.ts   one file (with its folder's suites): a long folder in parts
#   bash scripts/test/mutation.sh --sample 8 lib/io lib/init lib/train   several at once, and only every 8th block of
#                                                  10 lines of each file: an estimate when a full run is too long
#   bash scripts/test/mutation.sh --sample 8 --shift 3 lib/io   another 1-in-8 sample (blocks shifted by 3), disjoint
#                                                  from the first: a check that fixes made for one sample generalise
#   bash scripts/test/mutation.sh lib/io --force   further arguments go to `stryker run` (--force: ignore the
#                                                  incremental results and test every mutant again)
# `npm run test:mutation -- lib/io` is the same. Results: reports/mutation/<folder>/ (JSON, HTML, incremental file).
set -euo pipefail
cd "$(dirname "$0")/../.."
sample="" shift_=""
if [ "${1:-}" = "--sample" ]; then sample="$2"; shift 2; fi
if [ "${1:-}" = "--shift" ]; then shift_="$2"; shift 2; fi
paths=()
while [ $# -gt 0 ] && [[ "$1" != -* ]]; do
  [ -e "$1" ] || { echo "mutation: no $1" >&2; exit 2; }
  paths+=("${1%/}"); shift
done
folder="$(IFS=,; echo "${paths[*]:-}")"
# The python-reference suites are slow and need python packages: off.
export LORAGA_PYTHON=none
# Stryker's sandbox has no build/ or prebuilds/: name the addon the suites should load by its absolute path.
if [ -z "${LORAGA_BINARY:-}" ]; then
  LORAGA_BINARY="$(node -e "process.stdout.write(require('node-gyp-build').path('.'))")"
fi
export LORAGA_BINARY="$(cd "$(dirname "$LORAGA_BINARY")" && pwd)/$(basename "$LORAGA_BINARY")"
# The reference-case suites read ../shared from the clone (test/helpers/reference.ts); the sandbox is
# .stryker-tmp/sandbox-*/, so give .stryker-tmp a link to the same shared/ (they skip, saying why, without one).
mkdir -p .stryker-tmp
if [ -d ../shared ]; then ln -sfn "$(cd ../shared && pwd)" .stryker-tmp/shared; fi
start=$(date +%s)
LORAGA_MUTATE="$folder" LORAGA_MUTATE_SAMPLE="$sample" LORAGA_MUTATE_SHIFT="$shift_" nice -n 10 npx stryker run "$@"
echo "mutation: stryker took $(( $(date +%s) - start )) s"
# The bar is checked for the folders of this run.
only=()
for p in "${paths[@]:-}"; do [ -n "$p" ] && only+=(--only "$(echo "$p" | sed -E 's#^(lib/[^/]+).*#\1#')"); done
node scripts/test/mutation-scores.js "${only[@]}"
