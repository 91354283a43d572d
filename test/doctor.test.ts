import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { doctorReport } from '../lib/cli/doctor';
import { nativeBinaryPath } from '../lib/native';
import { backends } from '../lib';

// `loraga doctor` reports what this process really runs on: checked against the process itself and the loaded
// binary's ELF dynamic section.
const root = path.join(__dirname, '..');

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

  test('CLI: --json is machine-readable; a binary that cannot load is reported with exit code 1', () => {
    const cli = path.join(root, 'dist', 'cli', 'index.js');
    const ok = spawnSync(process.execPath, [cli, 'doctor', '--json'], { cwd: root, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).backends[0].name).toBe('cpu');
    const bad = spawnSync(process.execPath, [cli, 'doctor'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, LORAGA_BINARY: path.join(root, 'no-such-binary.node') },
    });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/load error .*no-such-binary\.node/);
  });
});
