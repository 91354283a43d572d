import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BuildInfo, DoctorReport, doctorReport } from '../lib/cli/doctor';
import { nativeBinaryPath } from '../lib/native';
import { backends } from '../lib';

// `loraga doctor` reports what this process really runs on: checked against the process itself and the loaded
// binary's ELF dynamic section.
const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli', 'index.js');

type Build = BuildInfo;
const buildOf = (r: DoctorReport) => r.build;
const cudaReason = () => backends().find((b) => b.name === 'cuda')?.reason ?? '';

describe('loraga doctor', () => {
  test('report matches the process, the loaded binary and backends()', () => {
    const r = doctorReport();
    expect(r.ok).toBe(true);
    expect(r.node).toBe(process.version);
    expect(r.napi).toBe(process.versions.napi);
    expect(r.binary.error).toBeNull();
    expect(r.binary.path).toBe(nativeBinaryPath());
    expect(fs.existsSync(r.binary.path as string)).toBe(true);
    expect(r.backends.map((b) => b.name)).toEqual(backends().map((b) => b.name));
    expect(r.blas?.threads).toBeGreaterThanOrEqual(1);
    expect(r.blas?.config).toMatch(/OpenBLAS/);
  });

  test('BLAS linkage reported agrees with the binary: static iff it has no libopenblas NEEDED entry', () => {
    const r = doctorReport();
    const needed = execFileSync('readelf', ['-d', r.binary.path as string], { encoding: 'utf8' });
    if (/\[libopenblas/.test(needed)) expect(r.blasLinkage).toMatch(/^shared \(.*libopenblas/);
    else expect(r.blasLinkage).toMatch(/^static/);
  });

  test('build: which build was loaded (from the files beside it) and whether the CUDA backend is compiled in', () => {
    const r = doctorReport();
    const b = buildOf(r) as Build;
    const p = r.binary.path as string;
    const dir = path.dirname(path.dirname(p));
    const expected = p.split(path.sep).includes('prebuilds') ? 'prebuilt'
      : fs.existsSync(path.join(dir, 'CMakeCache.txt')) ? 'cmake-js local build'
        : fs.existsSync(path.join(dir, 'config.gypi')) ? 'node-gyp local build' : 'local build (tool unknown)';
    expect(b.kind).toBe(expected);
    expect(b.selectedBy).toBe(process.env.LORAGA_BINARY ? 'LORAGA_BINARY' : 'node-gyp-build');
    // The stub backend's reason is the one mark of a build without CUDA.
    expect(b.cuda.compiledIn).toBe(!/^this build has no CUDA backend/.test(cudaReason()));
    expect(b.cuda.why.length).toBeGreaterThan(10);
    if (b.kind === 'node-gyp local build') expect(b.cuda.compiledIn).toBe(false);
  });

  test('CLI: the build and CUDA lines name the build kind for a prebuilt, a cmake-js and a node-gyp layout', () => {
    const real = doctorReport().binary.path as string;
    const compiledIn = !/^this build has no CUDA backend/.test(cudaReason());
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-doctor-'));
    try {
      const layouts: [string, string, string | null, RegExp][] = [
        ['prebuilt', 'pkg/prebuilds/linux-x64/loraga.glibc.node', null, /^ {2}build {7}prebuilt \(under prebuilds\//m],
        ['cmake', 'cm/build/Release/loraga.node', 'cm/build/CMakeCache.txt',
          /^ {2}build {7}cmake-js local build \(.*CMakeCache\.txt beside it, chosen by LORAGA_BINARY\)/m],
        ['gyp', 'gy/build/Release/loraga.node', 'gy/build/config.gypi', /^ {2}build {7}node-gyp local build \(.*config\.gypi beside it/m],
      ];
      for (const [name, bin, marker, want] of layouts) {
        fs.mkdirSync(path.dirname(path.join(tmp, bin)), { recursive: true });
        fs.copyFileSync(real, path.join(tmp, bin));
        if (marker) fs.writeFileSync(path.join(tmp, marker), name === 'cmake' ? 'CMAKE_CUDA_COMPILER:STRING=/opt/nvcc\nLORAGA_CPU_ONLY:BOOL=OFF\n' : '{}\n');
        const out = spawnSync(process.execPath, [cli, 'doctor'], {
          cwd: tmp, encoding: 'utf8', env: { ...process.env, LORAGA_BINARY: path.join(tmp, bin) },
        });
        expect(out.status).toBe(0);
        expect(out.stdout).toMatch(want);
        expect(out.stdout).toMatch(compiledIn ? /^ {2}CUDA {8}compiled in: /m : /^ {2}CUDA {8}not compiled in: /m);
        if (name === 'cmake' && compiledIn) expect(out.stdout).toMatch(/nvcc \/opt\/nvcc compiled it/);
        if (name === 'gyp' && !compiledIn) expect(out.stdout).toMatch(/binding\.gyp, which has the CPU backend only/);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('CLI: --json is machine-readable; a binary that cannot load is reported with exit code 1', () => {
    const ok = spawnSync(process.execPath, [cli, 'doctor', '--json'], { cwd: root, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    const json = JSON.parse(ok.stdout);
    expect(json.backends[0].name).toBe('cpu');
    expect(json.build.kind).toBe((buildOf(doctorReport()) as Build).kind);
    const bad = spawnSync(process.execPath, [cli, 'doctor'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, LORAGA_BINARY: path.join(root, 'no-such-binary.node') },
    });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/load error .*no-such-binary\.node/);
  });
});
