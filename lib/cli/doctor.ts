/**
 * `loraga doctor`: what this installation runs on. Node and N-API versions, which native binary was loaded (the
 * prebuilt one, a cmake-js or a node-gyp local build) and what it links, whether the CUDA backend is compiled in and
 * why, every backend with why it is (not) available, the GPU and CUDA library versions when the CUDA backend reports
 * them, and the BLAS in use with its thread count.
 * Exit code 0 when the addon loads and the CPU backend works, 1 otherwise (the report says why).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, Flags, packageVersion } from './args';

export interface DoctorReport {
  loraga: string;
  node: string;
  napi: string;
  platform: string;
  glibc: string | null;
  binary: { path: string | null; kind: 'prebuilt' | 'local build' | 'LORAGA_BINARY override' | 'not loaded';
            error: string | null };
  /** How OpenBLAS reached the process: linked into the addon (prebuilt binaries) or a shared libopenblas. */
  blasLinkage: string;
  blas: { config: string; core: string; threads: number | null; env: Record<string, string> } | null;
  backends: { name: string; available: boolean; reason: string; deviceName: string; details: string }[];
  /** Which build the loaded binary is and whether the CUDA backend is compiled in; null when nothing loaded. */
  build: BuildInfo | null;
  ok: boolean;
}

function glibcVersion(): string | null {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ?? null;
}

/** A binary shipped in the package (prebuilds/<platform>-<arch>/) rather than built here. */
const isPrebuilt = (binary: string) => binary.split(path.sep).includes('prebuilds');

/** Which build the loaded binary is and whether the CUDA backend is compiled into it. */
export interface BuildInfo {
  kind: 'prebuilt' | 'cmake-js local build' | 'node-gyp local build' | 'local build (tool unknown)';
  /** What the kind was told from: the path, or the build system's files beside the binary. */
  evidence: string;
  /** How the binary was chosen: $LORAGA_BINARY, or node-gyp-build's search (build/Release first, then prebuilds/). */
  selectedBy: 'LORAGA_BINARY' | 'node-gyp-build';
  cuda: { compiledIn: boolean; why: string };
}

/** The stub CUDA backend (no nvcc, node-gyp or LORAGA_CPU_ONLY builds) reports this reason. */
const NO_CUDA_BUILD = /^this build has no CUDA backend/;

function readCmakeCache(file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][\w-]*):[A-Z]+=(.*)$/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

function buildInfo(binary: string, cudaReason: string | undefined): BuildInfo {
  const compiledIn = cudaReason !== undefined && !NO_CUDA_BUILD.test(cudaReason);
  const selectedBy = process.env.LORAGA_BINARY ? 'LORAGA_BINARY' : 'node-gyp-build';
  const buildDir = path.dirname(path.dirname(binary));  // <out>/Release/loraga.node → <out>
  const rel = (f: string) => path.relative(process.cwd(), path.join(buildDir, f)) || f;
  if (isPrebuilt(binary)) {
    return { kind: 'prebuilt', evidence: 'under prebuilds/: shipped in the package, nothing was compiled at install', selectedBy,
      cuda: { compiledIn, why: compiledIn ? 'the prebuilt binary is built with nvcc (static CUDA runtime, cuBLAS/cuSOLVER loaded at run time)'
        : 'this prebuilt binary was made on a machine without nvcc' } };
  }
  const cache = path.join(buildDir, 'CMakeCache.txt');
  if (fs.existsSync(cache)) {
    const v = readCmakeCache(cache);
    const nvcc = v.CMAKE_CUDA_COMPILER && !/NOTFOUND/.test(v.CMAKE_CUDA_COMPILER) ? v.CMAKE_CUDA_COMPILER : null;
    let why: string;
    if (compiledIn) why = `nvcc ${nvcc ?? '(path not recorded)'} compiled it (${rel('CMakeCache.txt')})`;
    else if (v.LORAGA_CPU_ONLY === 'ON') why = `built with LORAGA_CPU_ONLY=ON (${rel('CMakeCache.txt')})`;
    else if (!nvcc) why = 'no nvcc was found when it was built: install the CUDA toolkit, then npm run build:native';
    else why = `nvcc ${nvcc} was found but the CUDA backend is not in this binary: rebuild (npm run build:native)`;
    return { kind: 'cmake-js local build', evidence: `${rel('CMakeCache.txt')} beside it`, selectedBy, cuda: { compiledIn, why } };
  }
  for (const f of ['config.gypi', 'binding.Makefile']) {
    if (fs.existsSync(path.join(buildDir, f))) {
      return { kind: 'node-gyp local build', evidence: `${rel(f)} beside it`, selectedBy,
        cuda: { compiledIn, why: compiledIn ? 'compiled in' : 'node-gyp builds binding.gyp, which has the CPU backend only; ' +
          'the cmake-js build (npm run build:native) compiles the CUDA backend when nvcc is present' } };
    }
  }
  return { kind: 'local build (tool unknown)', evidence: 'no prebuilds/ in its path, no CMakeCache.txt or config.gypi beside it', selectedBy,
    cuda: { compiledIn, why: compiledIn ? 'compiled in' : (cudaReason ?? 'the binary reports no CUDA backend') } };
}

function binaryKind(p: string): DoctorReport['binary']['kind'] {
  if (process.env.LORAGA_BINARY) return 'LORAGA_BINARY override';
  return isPrebuilt(p) ? 'prebuilt' : 'local build';
}

/** Shared BLAS libraries mapped into this process (Linux), to tell a static OpenBLAS from a dynamic one. */
function mappedBlasLibraries(): string[] | null {
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    const libs = new Set<string>();
    for (const line of maps.split('\n')) {
      const file = line.split(/\s+/).slice(5).join(' ');
      if (/lib(open)?blas|liblapack|libmkl|libblis/.test(path.basename(file))) libs.add(file);
    }
    return [...libs];
  } catch {
    return null;
  }
}

/** The report `loraga doctor` prints (`--json`: as is). */
export function doctorReport(): DoctorReport {
  const report: DoctorReport = {
    loraga: packageVersion(),
    node: process.version,
    napi: process.versions.napi ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
    glibc: glibcVersion(),
    binary: { path: null, kind: 'not loaded', error: null },
    blasLinkage: 'unknown',
    blas: null,
    backends: [],
    build: null,
    ok: false,
  };
  try {
    // Loaded here, not at import time, so that a binary that fails to load is reported rather than fatal.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nat = require('../native') as typeof import('../native');
    const p = nat.nativeBinaryPath();
    report.binary = { path: p, kind: binaryKind(p), error: null };
    report.backends = nat.native.backends();
    report.build = buildInfo(p, report.backends.find((b) => b.name === 'cuda')?.reason);
  } catch (e) {
    report.binary.error = (e as Error).message;
    return report;
  }
  const cpu = report.backends.find((b) => b.name === 'cpu');
  if (cpu) {
    // The CPU backend reports "<openblas_get_config()>; threads <openblas_get_num_threads()>".
    const m = /^(.*); threads (\d+)$/.exec(cpu.details);
    const env: Record<string, string> = {};
    for (const k of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_CORETYPE']) {
      if (process.env[k] !== undefined) env[k] = process.env[k] as string;
    }
    report.blas = { config: m ? m[1] : cpu.details, core: cpu.deviceName, threads: m ? Number(m[2]) : null, env };
  }
  const mapped = mappedBlasLibraries();
  if (mapped === null) report.blasLinkage = 'unknown (no /proc/self/maps)';
  else if (mapped.length === 0) report.blasLinkage = 'static (OpenBLAS linked into the addon)';
  else report.blasLinkage = `shared (${mapped.join(', ')})`;
  report.ok = !!cpu?.available;
  return report;
}

function formatReport(r: DoctorReport): string {
  const lines = [
    `loraga ${r.loraga}`,
    `  node        ${r.node} (N-API ${r.napi}), ${r.platform}${r.glibc ? `, glibc ${r.glibc}` : ''}`,
    `  binary      ${r.binary.path ?? '-'} [${r.binary.kind}]`,
  ];
  if (r.binary.error) {
    lines.push(`  load error  ${r.binary.error.trim().split('\n').join('\n              ')}`);
    lines.push('  fix         reinstall so that a binary that loads is present: npm rebuild loraga --foreground-scripts');
    lines.push('              (--build-from-source forces a source build; it needs g++, cmake (or make and python3');
    lines.push('              for node-gyp) and libopenblas-dev); see "Troubleshooting" in the README');
    return lines.join('\n');
  }
  if (r.build) {
    const by = r.build.selectedBy === 'LORAGA_BINARY' ? ', chosen by LORAGA_BINARY' : '';
    lines.push(`  build       ${r.build.kind} (${r.build.evidence}${by})`);
    lines.push(`  CUDA        ${r.build.cuda.compiledIn ? 'compiled in' : 'not compiled in'}: ${r.build.cuda.why}`);
  }
  lines.push(`  BLAS        ${r.blasLinkage}`);
  if (r.blas) {
    lines.push(`              ${r.blas.core}: ${r.blas.config}`);
    const env = Object.entries(r.blas.env).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push(`              threads ${r.blas.threads ?? '?'}${env ? ` (${env})` : ''}`);
  }
  lines.push('  backends');
  for (const b of r.backends) {
    lines.push(`    ${b.name.padEnd(5)} ${b.available ? 'available  ' : 'unavailable'} ${b.reason}`);
    if (b.deviceName) lines.push(`          device  ${b.deviceName}`);
    if (b.details && b.name !== 'cpu') lines.push(`          details ${b.details}`);
  }
  return lines.join('\n');
}

export const command: Command = {
  summary: 'report Node/N-API versions, the native binary, backends (GPU, CUDA libraries) and BLAS threads',
  help: [
    'usage: loraga doctor [--json]',
    '',
    'Prints the Node and N-API versions, which native binary was loaded (prebuilt, cmake-js or node-gyp local',
    'build) and how it links OpenBLAS, whether the CUDA backend is compiled in and why, every backend with why it',
    'is (not) available, GPU name and CUDA library versions when the CUDA backend reports them, and the BLAS',
    'configuration with its thread count. Exit code 0 when the addon loads and the CPU backend works, else 1.',
    '  --json    machine-readable output',
  ].join('\n'),
  flags: { json: { kind: 'boolean', default: false } },
  async run(flags: Flags): Promise<number> {
    const r = doctorReport();
    console.log(flags.json ? JSON.stringify(r, null, 2) : formatReport(r));
    return r.ok ? 0 : 1;
  },
};
