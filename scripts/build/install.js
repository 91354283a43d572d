#!/usr/bin/env node
// npm's `install` script (runs on `npm install` / `npm ci` in a clone, and when a project installs the package).
// One build path, in this order, and it says which it took and why:
//   1. a native binary that already loads in this Node: the prebuilt one shipped in the package
//      (prebuilds/<platform>-<arch>/) or an existing local build (build/Release) — nothing is built;
//   2. otherwise, or with `npm install --build-from-source`: a source build with cmake-js from CMakeLists.txt, the
//      main build, which compiles the CUDA backend when nvcc is found (CPU only otherwise);
//   3. only when cmake is missing (or cmake-js cannot be had): node-gyp from binding.gyp, CPU backend only.
// Overrides: LORAGA_BUILD_FROM_SOURCE=1 (as --build-from-source); LORAGA_BUILD=cmake-js | node-gyp picks the source
// build tool; LORAGA_CPU_ONLY=1 builds cmake-js without the CUDA backend. npm shows this output only for a failed
// install unless run with --foreground-scripts; `loraga doctor` tells afterwards which binary is loaded and whether
// it has the CUDA backend.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const say = (msg) => console.error(`loraga install: ${msg}`);
const rel = (p) => path.relative(root, p) || '.';

/** The binary node-gyp-build would load (build/Release first, then a matching prebuilt), or null. */
function candidate() {
  try {
    return require('node-gyp-build').path(root);
  } catch {
    return null;
  }
}

/** Loads `binary` in a child process (a crash or loader error cannot take this one down): { error: null, cuda: the
 *  CUDA backend's entry of backends() } when it loads, else { error: the loader's message }. */
function tryLoad(binary) {
  const code = `const b = require(${JSON.stringify(binary)});` +
    "const c = (b.backends ? b.backends() : []).find((x) => x.name === 'cuda');" +
    'process.stdout.write(JSON.stringify(c || null));';
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  if (r.status === 0) {
    let cuda = null;
    try { cuda = JSON.parse(r.stdout); } catch { /* an old binary without backends() */ }
    return { error: null, cuda };
  }
  const msg = (r.stderr || r.error?.message || `exit ${r.status}`).split('\n').find((l) => /Error|error:/.test(l));
  return { error: (msg || r.stderr || '').trim() };
}

function has(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout.split('\n')[0] || cmd) : null;
}

function run(argv, env) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

/** cmake-js's command line: the local devDependency (a clone), else fetched by npm (an installed package). */
function cmakeJsCommand() {
  try {
    return [process.execPath, require.resolve('cmake-js/bin/cmake-js', { paths: [root] })];
  } catch { /* not installed here */ }
  const npmCli = process.env.npm_execpath;
  if (!npmCli) return null;
  const range = require(path.join(root, 'package.json')).devDependencies?.['cmake-js'] || 'latest';
  const npx = [process.execPath, npmCli, 'exec', '--yes', `--package=cmake-js@${range}`, '--', 'cmake-js'];
  const probe = spawnSync(npx[0], [...npx.slice(1), '--version'], { cwd: root, encoding: 'utf8' });
  return probe.status === 0 ? npx : null;
}

function nodeGypCommand() {
  const candidates = [process.env.npm_config_node_gyp];
  try { candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })); } catch { /* none */ }
  const js = candidates.find((p) => p && fs.existsSync(p));
  return js ? [process.execPath, js] : null;
}

/** The nvcc CMake's CUDA detection will use: $CUDACXX, else nvcc on PATH (what CMakeLists.txt's check_language sees). */
function nvccPath() {
  if (process.env.CUDACXX && fs.existsSync(process.env.CUDACXX)) return process.env.CUDACXX;
  return spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' }).stdout.trim() || null;
}

/**
 * Builds the addon from source into build/Release: cmake-js when cmake is there (or LORAGA_BUILD=cmake-js), else
 * node-gyp. Returns { tool, binary }; throws when the build fails (no silent fall-back to a CPU-only build).
 */
function sourceBuild() {
  const forced = process.env.LORAGA_BUILD;
  if (forced && !['cmake-js', 'node-gyp'].includes(forced)) throw new Error(`LORAGA_BUILD must be cmake-js or node-gyp, got '${forced}'`);
  const cmake = forced === 'node-gyp' ? null : has('cmake');
  let why;
  if (forced === 'node-gyp') why = 'LORAGA_BUILD=node-gyp';
  else if (!cmake) why = 'cmake not found on PATH (install cmake for the main build, with the CUDA backend when nvcc is present)';
  if (cmake) {
    const cmd = cmakeJsCommand();
    if (cmd) {
      const cpuOnly = process.env.LORAGA_CPU_ONLY === '1';
      const nvcc = nvccPath();
      say(`building from source with cmake-js (CMakeLists.txt, ${cmake}): ` +
        (cpuOnly ? 'LORAGA_CPU_ONLY=1, so CPU backend only' : nvcc ? `nvcc found (${nvcc}), so the CUDA backend is compiled in` :
          'no nvcc on PATH (nor CUDACXX), so CPU backend only'));
      const args = ['compile', '--out', 'build', ...(cpuOnly ? ['--CDLORAGA_CPU_ONLY=ON'] : [])];
      if (!run([...cmd, ...args])) {
        throw new Error('cmake-js build failed (output above). A CPU-only build: LORAGA_CPU_ONLY=1 npm rebuild loraga; ' +
          'the node-gyp build: LORAGA_BUILD=node-gyp npm rebuild loraga');
      }
      return { tool: 'cmake-js', binary: path.join(root, 'build', 'Release', 'loraga.node') };
    }
    if (forced === 'cmake-js') throw new Error('LORAGA_BUILD=cmake-js but cmake-js is neither installed nor obtainable through npm');
    why = 'cmake-js is not installed and npm could not fetch it';
  } else if (forced === 'cmake-js') {
    throw new Error('LORAGA_BUILD=cmake-js but cmake is not on PATH');
  }
  const gyp = nodeGypCommand();
  if (!gyp) throw new Error(`${why}, and node-gyp was not found either: nothing can build the addon`);
  say(`building from source with node-gyp (binding.gyp), CPU backend only: ${why}`);
  if (!run([...gyp, 'rebuild'])) throw new Error('node-gyp build failed (output above)');
  return { tool: 'node-gyp', binary: path.join(root, 'build', 'Release', 'loraga.node') };
}

function describeCuda(cuda) {
  if (!cuda) return 'CUDA backend: unknown (the binary reports no backends)';
  if (/^this build has no CUDA backend/.test(cuda.reason)) return `CUDA backend: not compiled in (${cuda.reason})`;
  return `CUDA backend: compiled in (${cuda.available ? 'usable' : 'not usable here'}: ${cuda.reason})`;
}

function main() {
  // npm passes --build-from-source as npm_config_build_from_source (npm 11 warns that it does not know the flag and
  // that this will stop in its next major version; LORAGA_BUILD_FROM_SOURCE=1 does the same without npm).
  const fromSource = ['true', '1'].includes(String(process.env.npm_config_build_from_source).toLowerCase()) ||
    process.env.npm_config_build_from_source === 'loraga' || process.env.LORAGA_BUILD_FROM_SOURCE === '1';
  if (!fromSource) {
    const p = candidate();
    if (p) {
      const kind = p.split(path.sep).includes('prebuilds') ? 'the prebuilt binary' : 'the existing local build';
      const r = tryLoad(p);
      if (!r.error) {
        say(`using ${kind} ${rel(p)}: it loads in Node ${process.versions.node}, nothing to build ` +
          '(npm install --build-from-source forces a source build)');
        say(describeCuda(r.cuda));
        return;
      }
      say(`${kind} ${rel(p)} does not load here (${r.error}): building from source`);
    } else {
      say(`no prebuilt binary for ${process.platform}-${process.arch} and no local build: building from source`);
    }
  } else {
    say('--build-from-source (or LORAGA_BUILD_FROM_SOURCE=1): building from source');
  }
  const { binary } = sourceBuild();
  const r = tryLoad(binary);
  if (r.error) throw new Error(`the build finished but ${rel(binary)} does not load: ${r.error}`);
  say(`built ${rel(binary)}; ${describeCuda(r.cuda)}`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    say(`FAILED: ${e.message}`);
    process.exit(1);
  }
}

module.exports = { candidate, sourceBuild };
