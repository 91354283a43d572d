#!/usr/bin/env bash
# Prepares one device run of the GPU checks (the GPU machine has no Node.js and no network): packs Node
# (../shared/device/carry-node.sh), the built addon, dist/ and the node_modules the tests need into .carry/, and
# writes .carry/gpu-run.sh, which there unpacks everything, runs `npm run test:gpu`, the memcheck pass and
# `npm run bench:gpu`, and copies logs and JSON to $OUT. Use:
#   here:   npx cmake-js compile --out build && npm run build:ts && bash scripts/gpu/gpu-carry.sh
#   device: run(carry: [".carry"], command: "bash .carry/gpu-run.sh [--no-memcheck] [--quick]")
# A full run (tests, memcheck, full bench) may approach the 10-minute limit of one device command: split it as
# `bash .carry/gpu-run.sh --quick` first, then `--no-memcheck` for the full benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash ../shared/device/carry-node.sh
test -f build/Release/loraga.node || { echo "build first: npx cmake-js compile --out build" >&2; exit 1; }
test -f dist/index.js || { echo "build first: npm run build:ts" >&2; exit 1; }
# node_modules without the build-only tools (the addon is already built); ts-jest needs typescript.
tar -cJf .carry/loraga-gpu.tar.xz --exclude='node_modules/cmake-js' --exclude='node_modules/node-gyp' \
  --exclude='node_modules/prebuildify' --exclude='node_modules/.cache' \
  build/Release/loraga.node dist node_modules
cat > .carry/gpu-run.sh <<'RUN'
#!/usr/bin/env bash
# On the GPU machine, from the repository root: unpack, test, sanitize, benchmark; results into $OUT.
set -uo pipefail
source .carry/gpu-env.sh
tar -xJf .carry/loraga-gpu.tar.xz
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
node -e "console.log(JSON.stringify(require('./dist').backends(), null, 1))" 2>&1 | tee "$OUT/backends.json"
export LORAGA_BINARY=build/Release/loraga.node
node --expose-gc node_modules/.bin/jest --runInBand --verbose test/gpu > "$OUT/test-gpu.log" 2>&1; echo "test:gpu exit $?" | tee -a "$OUT/summary.txt"
tail -30 "$OUT/test-gpu.log"
if ! printf '%s\n' "$@" | grep -qx -- --no-memcheck; then
  MEMCHECK_ONLY=1 bash scripts/gpu/test-gpu.sh > "$OUT/memcheck.log" 2>&1; echo "memcheck exit $?" | tee -a "$OUT/summary.txt"
  tail -15 "$OUT/memcheck.log"
fi
node scripts/gpu/bench-gpu.js $(printf '%s\n' "$@" | grep -x -- --quick) > "$OUT/bench-gpu.log" 2>&1; echo "bench:gpu exit $?" | tee -a "$OUT/summary.txt"
cat "$OUT/bench-gpu.log" | tail -60
cp .bench/gpu.json .bench/gpu-torch.json "$OUT/" 2>/dev/null
exit 0
RUN
chmod +x .carry/gpu-run.sh
du -ch .carry/* | tail -1
