#!/usr/bin/env node
// `npm run prebuild`: the prebuilt binary shipped in the npm package, prebuilds/linux-x64/loraga.glibc.node (the
// glibc tag makes node-gyp-build pass it over on musl/Alpine, where it falls back to a source build).
// prebuildify drives node-gyp (binding.gyp) with LORAGA_STATIC_BLAS=1: one N-API build (NAPI_VERSION 8) that loads
// in every Node >= 18, OpenBLAS linked in, stripped. It builds in a staging copy (build-prebuild/stage) so that a
// dev build in build/ (cmake-js or node-gyp), possibly in use by a test run, is never touched.
// Then it checks the result needs nothing from the system beyond glibc/libstdc++/libgcc_s (readelf NEEDED).
//   --if-stale   reuse an existing prebuild that is newer than every native source (CI: one build per run)
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
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
  for (const p of ['csrc', 'binding.gyp', 'package.json', 'scripts/prebuild.js']) walk(path.join(root, p));
  return newest;
}

/** The NEEDED entries of an ELF file (shared libraries it asks the loader for). */
function neededLibs(file) {
  const txt = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  return [...txt.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

function stage() {
  const dir = path.join(root, 'build-prebuild', 'stage');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(root, 'csrc'), path.join(dir, 'csrc'), { recursive: true });
  for (const f of ['binding.gyp', 'package.json']) fs.copyFileSync(path.join(root, f), path.join(dir, f));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function build() {
  const cwd = stage();
  const env = { ...process.env, LORAGA_STATIC_BLAS: '1' };
  // node-gyp needs Node's headers; use the ones installed beside this node (no download) when npm has not said.
  const headers = path.resolve(process.execPath, '..', '..');
  if (!env.npm_config_nodedir && fs.existsSync(path.join(headers, 'include', 'node', 'node_api.h'))) {
    env.npm_config_nodedir = headers;
  }
  // Run prebuildify in a child so its environment (LORAGA_STATIC_BLAS, nodedir) reaches node-gyp.
  const prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] });
  execFileSync(process.execPath, [prebuildify, '--napi', '--strip', '--name', 'loraga', '--tag-libc',
    '--target', `node@${process.versions.node}`, '--cwd', cwd, '--out', root], { stdio: 'inherit', env, cwd });
}

const reuse = process.argv.includes('--if-stale') && fs.existsSync(binary) &&
  fs.statSync(binary).mtimeMs > newestSourceMtime();
if (reuse) console.log(`prebuild: reusing ${path.relative(root, binary)} (newer than csrc/, binding.gyp)`);
else build();

const needed = neededLibs(binary);
const bad = needed.filter((n) => !ALLOWED_NEEDED.test(n));
console.log(`prebuild: ${path.relative(root, binary)} ${(fs.statSync(binary).size / 1e6).toFixed(1)} MB, NEEDED: ${needed.join(' ')}`);
if (bad.length) {
  console.error(`prebuild: the binary needs system libraries it must not: ${bad.join(' ')}`);
  process.exit(1);
}
