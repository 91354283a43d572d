#!/usr/bin/env bash
# CI proof that the packed package installs and runs without a compiler (test/pack.test.ts runs this):
#  1. prebuild (reused when newer than the native sources) + TypeScript build + `npm pack`;
#  2. a fresh project installs the tarball with a clean HOME and a PATH holding only node/npm and a shell: no cc,
#     c++, gcc, g++, cmake, make or python3 (checked), so a source build could not happen even if attempted;
#     The tarball must hold LICENSE and THIRD_PARTY_NOTICES.md with the notices of what the binary embeds.
#  3. asserts the installed package loaded the prebuilt binary (not a build/ dir), that it links no libopenblas and
#     only glibc/libstdc++/libgcc_s, then runs `loraga doctor`, real ops (scripts/pack/smoke.js) and
#     `loraga init` on ../shared/reference/peft-small, its output checked by scripts/pack/check-init.js.
# Prints "pack-smoke: OK" at the end; any failed check exits non-zero.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
work="$(mktemp -d "${TMPDIR:-/tmp}/loraga-pack.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say() { echo "pack-smoke: $*"; }
die() { echo "pack-smoke: FAIL $*" >&2; exit 1; }

node scripts/pack/prebuild.js --if-stale
# Pack a staging copy with TypeScript compiled into it, so that dist/ of the checkout (which a parallel
# test run may be loading) is not rewritten. The copy holds what package.json "files" lists.
stage="$work/pkg"
mkdir -p "$stage"
for f in $(node -p "require('./package.json').files.join(' ')"); do
  case "$f" in dist/) ;; *) cp -r --parents "$f" "$stage/" ;; esac
done
cp package.json "$stage/"
npx tsc -p tsconfig.json --outDir "$stage/dist"
node scripts/build/make-esm.js "$stage/dist"
tgz="$(cd "$stage" && npm pack --ignore-scripts --silent --pack-destination "$work" | tail -n1)"
tarball="$work/$tgz"
[ -f "$tarball" ] || die "npm pack produced no tarball"
say "tarball $tgz $(stat -c %s "$tarball") bytes"
tar -tzf "$tarball" > "$work/contents.txt"
grep -q '^package/prebuilds/linux-x64/loraga.glibc.node$' "$work/contents.txt" || die "tarball lacks the prebuilt binary"
grep -q '^package/dist/index.js$' "$work/contents.txt" || die "tarball lacks dist/"
grep -q '^package/scripts/build/install.js$' "$work/contents.txt" || die "tarball lacks the install script"
# Licences: loraga's own, and the notices of what the prebuilt binary embeds (OpenBLAS's BSD licence requires its
# notice with binary redistributions; the CUDA runtime's EULA terms when the CUDA backend is compiled in).
for f in LICENSE THIRD_PARTY_NOTICES.md; do
  grep -q "^package/$f\$" "$work/contents.txt" || die "tarball lacks $f"
done
tar -xzf "$tarball" -C "$work" package/LICENSE package/THIRD_PARTY_NOTICES.md
grep -q '^MIT License' "$work/package/LICENSE" || die "LICENSE is not the MIT licence"
for notice in 'The OpenBLAS Project' 'The University of Texas at Austin' 'University of Tennessee' \
              'NVIDIA CUDA Toolkit End User License Agreement' 'libcudart_static.a' 'node-addon-api'; do
  grep -q "$notice" "$work/package/THIRD_PARTY_NOTICES.md" || die "THIRD_PARTY_NOTICES.md lacks '$notice'"
done
say "licences: LICENSE (MIT) and THIRD_PARTY_NOTICES.md (OpenBLAS, LAPACK, CUDA runtime, node-addon-api) in the tarball"

# A PATH with node, npm and a shell only.
bin="$work/bin"
mkdir -p "$bin" "$work/home" "$work/app"
for tool in node npm npx sh bash env; do ln -s "$(command -v "$tool")" "$bin/$tool"; done
for tool in cc c++ gcc g++ cmake make python3 python; do
  if PATH="$bin" command -v "$tool" >/dev/null 2>&1; then die "$tool is reachable in the stripped PATH"; fi
done
# npm's download cache is shared with the outer npm (faster, works offline once warm); its config is not.
cache="$(npm config get cache 2>/dev/null || true)"
sandbox() {
  env -i PATH="$bin" HOME="$work/home" TMPDIR="$work" npm_config_update_notifier=false \
    ${cache:+npm_config_cache="$cache"} \
    ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"} \
    ${HTTPS_PROXY:+HTTPS_PROXY="$HTTPS_PROXY"} ${HTTP_PROXY:+HTTP_PROXY="$HTTP_PROXY"} \
    ${https_proxy:+https_proxy="$https_proxy"} ${http_proxy:+http_proxy="$http_proxy"} ${NO_PROXY:+NO_PROXY="$NO_PROXY"} \
    "$@"
}

cd "$work/app"
echo '{ "name": "loraga-pack-smoke", "version": "1.0.0", "private": true }' > package.json
t0=$(date +%s%N)
sandbox npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tarball"
t1=$(date +%s%N)
say "install took $(( (t1 - t0) / 1000000 )) ms"
pkg="$work/app/node_modules/loraga"
[ -d "$pkg/build" ] && die "a source build ran at install ($pkg/build exists)"

report="$(sandbox npx --no-install loraga doctor --json)" || { echo "$report"; die "loraga doctor failed"; }
sandbox npx --no-install loraga doctor
loaded="$(node -e 'const r=JSON.parse(process.argv[1]); console.log(r.binary.path)' "$report")"
[ "$loaded" = "$pkg/prebuilds/linux-x64/loraga.glibc.node" ] || die "loaded $loaded, not the prebuilt binary"
node -e 'const r=JSON.parse(process.argv[1]); if (!/^static/.test(r.blasLinkage)) process.exit(1)' "$report" \
  || die "doctor reports BLAS linkage that is not static"
ldd "$loaded" > "$work/ldd.txt"
grep -E 'libopenblas|libgfortran|libblas|liblapack|not found' "$work/ldd.txt" && die "prebuilt binary needs BLAS/Fortran/missing libraries"
needed="$(readelf -d "$loaded" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
for lib in $needed; do
  [[ "$lib" =~ ^(libc|libm|libpthread|libdl|librt|libstdc\+\+|libgcc_s|ld-linux[-a-z0-9_]*)\.so ]] || die "unexpected NEEDED $lib"
done
say "prebuilt loaded from node_modules, NEEDED: $needed"
[ -f "$pkg/LICENSE" ] && [ -f "$pkg/THIRD_PARTY_NOTICES.md" ] || die "installed package lacks LICENSE / THIRD_PARTY_NOTICES.md"
node -e 'const r=JSON.parse(process.argv[1]); if (!r.build || r.build.kind !== "prebuilt") process.exit(1)' "$report" \
  || die "doctor does not report the prebuilt build"
if node -e 'const r=JSON.parse(process.argv[1]); process.exit(r.build.cuda.compiledIn ? 0 : 1)' "$report"; then
  # The binary embeds the CUDA runtime: its licence terms must be in the notices (checked above) and it must be named.
  grep -aq 'libcuda.so.1' "$loaded" || die "doctor says CUDA is compiled in but the binary never names libcuda.so.1"
  say "CUDA backend compiled into the prebuilt binary: the notices cover the CUDA runtime"
fi

cp "$root/scripts/pack/smoke.js" "$work/app/smoke.js"
sandbox node smoke.js
sandbox node --input-type=module -e "import { Tensor, matmul } from 'loraga'; const t = Tensor.from([1,2,3,4],[2,2]); const c = matmul(t,t).toArray().join(';'); if (c !== '7,10;15,22') { console.error(c); process.exit(1); }" \
  || die "ESM import of the installed package"
# loraga/tfjs resolves through the exports map (CJS and ESM, its declarations shipped); without @tensorflow/tfjs (an
# optional peer, so npm installed none here) it is a LoraBackendError saying what to install.
for f in dist/tfjs.js dist/tfjs.mjs types/tfjs.d.ts; do grep -q "^package/$f\$" "$work/contents.txt" || die "tarball lacks $f"; done
sandbox node -e "try { require('loraga/tfjs'); process.exit(1); } catch (e) { if (e.name !== 'LoraBackendError' || !/npm install @tensorflow\/tfjs/.test(e.message)) { console.error(e); process.exit(1); } }" \
  || die "require('loraga/tfjs') without @tensorflow/tfjs is not the LoraBackendError naming the install"
sandbox node --input-type=module -e "import('loraga/tfjs').then(() => process.exit(1), (e) => process.exit(e.name === 'LoraBackendError' ? 0 : 1))" \
  || die "import('loraga/tfjs') without @tensorflow/tfjs is not the LoraBackendError"
say "loraga/tfjs resolves (CJS, ESM); without @tensorflow/tfjs: LoraBackendError naming the install"
# A strict TypeScript consumer compiles against the shipped contract (types/), under both module resolutions users
# have; the compiler comes from this checkout (the sandbox installs nothing but the tarball).
cat > "$work/app/consumer.ts" <<'EOF'
import { Tensor, svd, initLoraGA, LoraShapeError, type LoraGAConfig, type SvdResult } from 'loraga';
const W: Tensor = Tensor.zeros([8, 6]);
const r: SvdResult = svd(W, { k: 2, method: 'randomized' });
const cfg: LoraGAConfig = { rank: 2, alpha: 4 };
export const out = [r.S.shape, cfg.rank, LoraShapeError.name, typeof initLoraGA] as const;
EOF
for res in node16 bundler; do
  mod=$([ "$res" = node16 ] && echo node16 || echo esnext)
  sandbox node "$root/node_modules/typescript/bin/tsc" --noEmit --strict --skipLibCheck false --types node \
    --typeRoots "$root/node_modules/@types" --module "$mod" --moduleResolution "$res" "$work/app/consumer.ts" \
    || die "a TypeScript consumer (moduleResolution $res) does not compile against the packed types/"
done
say "TypeScript consumer compiles against the packed types/ (node16, bundler)"

ref="$root/../shared/reference/peft-small"
sandbox npx --no-install loraga help > "$work/help.txt" || true
if ! grep -q '^  init ' "$work/help.txt"; then
  die "the packed package has no 'init' command"
elif [ ! -d "$ref" ]; then  # as the reference-case suites do: a clone not beside shared/ skips this, saying why
  say "SKIPPED loraga init on the reference case: not found at $ref (clone beside shared/)"
else
  out="$work/init-out"
  sandbox npx --no-install loraga init --weights "$ref/base.safetensors" --grads "$ref/grads.safetensors" \
    --rank 4 --alpha 8 --direction ArB2r --scale stable --gamma 16 --out "$out"
  cp "$root/scripts/pack/check-init.js" "$work/app/check-init.js"
  sandbox node check-init.js "$out" "$ref"
fi
say OK
