/**
 * The python3 the training tests compare against (HF transformers, PEFT): env LORAGA_PYTHON, else
 * <repo>/.venv-py/bin/python3, else python3 on PATH. A test that needs a module skips with the reason printed.
 */
import { spawnSync } from 'child_process';
import { findPython } from './python';

/** { python } when a python (helpers/python.ts's lookup) imports `modules`, else { reason } (said with console.warn). */
export function pythonWith(modules: string[], what: string): { python: string } | { reason: string } {
  const found = findPython(modules);
  if (found.python !== null) return { python: found.python };
  const reason = `${what}: skipped, ${found.reason}`;
  console.warn(reason);
  return { reason };
}

/** Runs `code` with that python (stdin as input), returning stdout; throws with stderr on failure. */
export function runPython(python: string, code: string, input = ''): string {
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', input, timeout: 300_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
