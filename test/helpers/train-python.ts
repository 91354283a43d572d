/**
 * The python3 the training tests compare against (HF transformers, PEFT): env LORAGA_PYTHON, else
 * <repo>/.venv-py/bin/python3, else python3 on PATH. A test that needs a module skips with the reason printed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

function candidate(): string {
  if (process.env.LORAGA_PYTHON) return process.env.LORAGA_PYTHON;
  const local = path.join(__dirname, '..', '..', '.venv-py', 'bin', 'python3');
  return fs.existsSync(local) ? local : 'python3';
}

/** { python } when `python -c "import <modules>"` works, else { reason } (said with console.warn). */
export function pythonWith(modules: string[], what: string): { python: string } | { reason: string } {
  const python = candidate();
  const r = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) return { python };
  const reason = `${what}: skipped, ${python} cannot import ${modules.join(', ')} (${(r.error?.message ?? r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}); set LORAGA_PYTHON to a python3 that has them`;
  console.warn(reason);
  return { reason };
}

/** Runs `code` with that python (stdin as input), returning stdout; throws with stderr on failure. */
export function runPython(python: string, code: string, input = ''): string {
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', input, timeout: 300_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
