/**
 * `loraga doctor`: what this installation runs on. Node and N-API versions, which native binary was loaded (a
 * prebuilt one or a local build) and what it links, every backend with why it is (not) available, the GPU and
 * CUDA library versions when the CUDA backend reports them, and the BLAS in use with its thread count.
 * Exit code 0 when the addon loads and the CPU backend works, 1 otherwise (the report says why).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, Flags } from './args';

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
  ok: boolean;
}

function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

function glibcVersion(): string | null {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ?? null;
}

function binaryKind(p: string): DoctorReport['binary']['kind'] {
  if (process.env.LORAGA_BINARY) return 'LORAGA_BINARY override';
  return p.split(path.sep).includes('prebuilds') ? 'prebuilt' : 'local build';
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
    ok: false,
  };
  try {
    // Loaded here, not at import time, so that a binary that fails to load is reported rather than fatal.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nat = require('../native') as typeof import('../native');
    const p = nat.nativeBinaryPath();
    report.binary = { path: p, kind: binaryKind(p), error: null };
    report.backends = nat.native.backends();
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
    lines.push('  fix         reinstall (npm rebuild loraga) so a prebuilt binary or a source build is present;');
    lines.push('              a source build needs g++, make, python3 and libopenblas-dev');
    return lines.join('\n');
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
    'Prints the Node and N-API versions, which native binary was loaded (prebuilt or local build) and how it',
    'links OpenBLAS, every backend with why it is (not) available, GPU name and CUDA library versions when the',
    'CUDA backend reports them, and the BLAS configuration with its thread count.',
    '  --json    machine-readable output',
  ].join('\n'),
  flags: { json: { kind: 'boolean', default: false } },
  async run(flags: Flags): Promise<number> {
    const r = doctorReport();
    console.log(flags.json ? JSON.stringify(r, null, 2) : formatReport(r));
    return r.ok ? 0 : 1;
  },
};
