/**
 * Finding a python3 that can import the modules a reference test needs: env LORAGA_PYTHON, else the repo's
 * .venv-py (scripts/build/python-deps.sh makes it), else python3 on PATH; LORAGA_PYTHON=none switches them off. A test without one must skip and say why
 * (skipUnlessPython), never pass silently.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export type PythonLookup = { python: string; reason?: undefined } | { python: null; reason: string };

const REPO = path.resolve(__dirname, '..', '..');

/** Candidates in order of preference (LORAGA_PYTHON first: an explicit choice beats the repo's venv). */
export function pythonCandidates(): string[] {
  const out: string[] = [];
  if (process.env.LORAGA_PYTHON) out.push(process.env.LORAGA_PYTHON);
  const venv = path.join(REPO, '.venv-py', 'bin', 'python3');
  if (fs.existsSync(venv)) out.push(venv);
  out.push('python3');
  return out;
}

/** The first candidate that imports every module in `modules`, or why none does. */
export function findPython(modules: string[]): PythonLookup {
  if (process.env.LORAGA_PYTHON === 'none') return { python: null, reason: 'LORAGA_PYTHON=none (python reference tests switched off for this run)' };
  const tried: string[] = [];
  const code = modules.map((m) => `import ${m}`).join('; ') || 'pass';
  for (const py of pythonCandidates()) {
    const r = spawnSync(py, ['-c', code], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) return { python: py };
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    tried.push(`${py}: ${why}`);
  }
  return {
    python: null,
    reason: `no python3 with ${modules.join(', ')} (bash scripts/build/python-deps.sh ${modules.join(' ')} makes <repo>/.venv-py; or set LORAGA_PYTHON). Tried: ${tried.join('; ')}`,
  };
}

/**
 * `describe` when a python with `modules` is found, else `describe.skip` after printing the reason (console.warn),
 * so a missing reference shows up in the test output as a skip with its cause.
 */
export function describeWithPython(modules: string[]): { describe: jest.Describe; python: string } {
  const found = findPython(modules);
  if (found.python === null) {
    console.warn(`skipping the tests against python (${modules.join(', ')}): ${found.reason}`);
    return { describe: describe.skip, python: '' };
  }
  return { describe, python: found.python };
}
