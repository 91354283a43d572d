#!/usr/bin/env node
// `npm run build:prebuild`: the prebuilt binary shipped in the npm package, prebuilds/linux-x64/loraga.glibc.node
// (the glibc tag makes node-gyp-build pass it over on musl/Alpine, where it falls back to a source build).
// prebuildify names, strips and places it; the build itself is cmake-js from CMakeLists.txt with
// LORAGA_STATIC_BLAS=ON (scripts/pack/prebuild-cmake.js stands in for node-gyp), so the prebuilt binary has whatever the
// main build has, the CUDA backend included when nvcc is present. One N-API build (NAPI_VERSION 8) loads in every
// Node >= 18. It builds in a staging copy (build-prebuild/stage) so that a dev build in build/, possibly in use by a
// test run, is never touched. Then it checks that the result needs nothing from the system beyond
// glibc/libstdc++/libgcc_s (readelf NEEDED) and that every symbol resolves at load (LD_BIND_NOW), computes the
// oldest glibc/libstdc++ it loads with (objdump -T) and fails when README.md states another floor.
//   --if-stale   reuse an existing prebuild that is newer than every native source (CI: one build per run)
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const out = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const binary = path.join(out, 'loraga.glibc.node');
const ALLOWED_NEEDED = /^(libc|libm|libpthread|libdl|librt|libstdc\+\+|libgcc_s|ld-linux[\w-]*)\.so(\.[\d.]+)?$/;

function newestSourceMtime() {
  let newest = 0;
  const walk = (p) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['csrc', 'CMakeLists.txt', 'package.json', 'scripts/pack/prebuild.js', 'scripts/pack/prebuild-cmake.js']) walk(path.join(root, p));
  return newest;
}

/** The NEEDED entries of an ELF file (shared libraries it asks the loader for). */
function neededLibs(file) {
  const txt = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  return [...txt.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

function stage() {
  const dir = path.join(root, 'build-prebuild', 'stage');
  fs.mkdirSync(dir, { recursive: true });
  // Sources are re-copied with their timestamps, so the staging build dir stays valid and rebuilds incrementally.
  fs.rmSync(path.join(dir, 'csrc'), { recursive: true, force: true });
  fs.cpSync(path.join(root, 'csrc'), path.join(dir, 'csrc'), { recursive: true, preserveTimestamps: true });
  for (const f of ['CMakeLists.txt', 'binding.gyp', 'package.json']) {
    fs.cpSync(path.join(root, f), path.join(dir, f), { preserveTimestamps: true });
  }
  if (!fs.existsSync(path.join(dir, 'node_modules'))) {
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  }
  return dir;
}

function build() {
  const cwd = stage();
  const prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] });
  execFileSync(process.execPath, [prebuildify, '--napi', '--strip', '--name', 'loraga', '--tag-libc',
    '--node-gyp', path.join(__dirname, 'prebuild-cmake.js'), '--cwd', cwd, '--out', root],
  { stdio: 'inherit', cwd, env: { ...process.env, LORAGA_STATIC_BLAS: '1' } });
}

const reuse = process.argv.includes('--if-stale') && fs.existsSync(binary) &&
  fs.statSync(binary).mtimeMs > newestSourceMtime();
if (reuse) console.log(`prebuild: reusing ${path.relative(root, binary)} (newer than csrc/, CMakeLists.txt)`);
else build();

const needed = neededLibs(binary);
const bad = needed.filter((n) => !ALLOWED_NEEDED.test(n));
console.log(`prebuild: ${path.relative(root, binary)} ${(fs.statSync(binary).size / 1e6).toFixed(1)} MB, NEEDED: ${needed.join(' ')}`);
if (bad.length) {
  console.error(`prebuild: the binary needs system libraries it must not: ${bad.join(' ')}`);
  process.exit(1);
}

// OpenBLAS's symbols stay inside (--exclude-libs): exporting them could bind another addon's BLAS calls to ours.
const exported = execFileSync('nm', ['-D', '--defined-only', binary], { encoding: 'utf8' })
  .split('\n').map((l) => l.trim().split(/\s+/).pop()).filter((n) => /^(cblas_|openblas_|goto|[sdcz]ge(mm|svd|sdd|qrf)_$|_gfortran)/.test(n || ''));
if (exported.length) {
  console.error(`prebuild: the binary exports BLAS/LAPACK symbols: ${exported.slice(0, 5).join(' ')} …`);
  process.exit(1);
}

// The oldest glibc and libstdc++ the binary loads with: the highest symbol versions it asks the loader for
// (objdump -T, undefined symbols). README's "Installing" states that floor in one sentence; the prebuild fails when
// the two differ, so the README cannot drift from the binary (a newer toolchain or a new libstdc++ call moves it).
const GCC_OF_GLIBCXX = { '3.4.21': 5, '3.4.22': 6, '3.4.23': 7, '3.4.24': 7, '3.4.25': 8, '3.4.26': 9, '3.4.28': 10,
  '3.4.29': 11, '3.4.30': 12, '3.4.31': 13, '3.4.32': 13, '3.4.33': 14 };
const cmpVer = (a, b) => {
  const x = a.split('.').map(Number), y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
  return 0;
};
function requiredVersions(file) {
  const txt = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const max = {}, why = {};
  for (const line of txt.split('\n')) {
    if (!line.includes('*UND*')) continue;
    const m = /\b(GLIBC|GLIBCXX|CXXABI|GCC)_(\d+(?:\.\d+)*)\b/.exec(line);
    if (m && (!max[m[1]] || cmpVer(m[2], max[m[1]]) > 0)) { max[m[1]] = m[2]; why[m[1]] = line.trim().split(/\s+/).pop(); }
  }
  return { max, why };
}
const { max: req, why: reqBy } = requiredVersions(binary);
const gcc = GCC_OF_GLIBCXX[req.GLIBCXX];
console.log(`prebuild: needs GLIBC_${req.GLIBC} (glibc ≥ ${req.GLIBC}, for ${reqBy.GLIBC}), GLIBCXX_${req.GLIBCXX} ` +
  `(libstdc++ of GCC ≥ ${gcc ?? '?'}, for ${reqBy.GLIBCXX}), CXXABI_${req.CXXABI}, GCC_${req.GCC} (libgcc_s)`);
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const stated = /glibc ≥ ([\d.]+)\s+\(`GLIBC_([\d.]+)`\)\s+and\s+libstdc\+\+ ≥ GCC\s+(\d+)\s+\(`GLIBCXX_([\d.]+)`\)/.exec(readme);
const floor = `glibc ≥ ${req.GLIBC} (\`GLIBC_${req.GLIBC}\`) and libstdc++ ≥ GCC ${gcc ?? '?'} (\`GLIBCXX_${req.GLIBCXX}\`)`;
if (!stated) {
  console.error(`prebuild: README.md does not state the binary's floor; it should say: ${floor}`);
  process.exit(1);
}
if (stated[1] !== req.GLIBC || stated[2] !== req.GLIBC || stated[4] !== req.GLIBCXX || Number(stated[3]) !== gcc) {
  console.error(`prebuild: README.md states "${stated[0]}" but the binary needs: ${floor}. Update README.md.`);
  process.exit(1);
}

// Load it with eager symbol binding: an unresolved symbol (a library the static link missed) fails here, not at
// the first call that needs it.
execFileSync(process.execPath, ['-e', `require(${JSON.stringify(binary)}).noop()`],
  { stdio: 'inherit', env: { ...process.env, LD_BIND_NOW: '1' } });
