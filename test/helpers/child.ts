/**
 * Runs a script in a fresh `node` process, so that a crash (SIGSEGV, abort) fails one test instead of the run.
 * The script sees `L` (the built package, dist/) and `N` (its raw native binding), and LORAGA_BINARY as given.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const DIST = path.join(__dirname, '..', '..', 'dist');
export const distBuilt = fs.existsSync(path.join(DIST, 'index.js'));

export interface ChildResult {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

const PRELUDE = `const L = require(${JSON.stringify(path.join(DIST, 'index.js'))});
const N = require(${JSON.stringify(path.join(DIST, 'native.js'))}).native;
const DIST = ${JSON.stringify(DIST)};
`;

/** `node -e script` in a fresh process (this one's environment, plus `env`). */
function runNode(script: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): ChildResult {
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env } });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export function runChild(body: string, timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): ChildResult {
  return runNode(PRELUDE + body, timeoutMs, env);
}

/** The same body run inside a worker thread of a fresh process (its stdout is the worker's). */
export function runInWorker(body: string, timeoutMs = 60_000): ChildResult {
  const w = `const { Worker } = require('worker_threads');
const w = new Worker(${JSON.stringify(PRELUDE + body)}, { eval: true });
w.on('error', (e) => { console.error('worker error:', e); process.exitCode = 3; });
w.on('exit', (c) => { if (c) process.exitCode = c; });`;
  return runNode(w, timeoutMs);
}

/** A readable failure: the child's exit and its output. */
export function describeChild(r: ChildResult): string {
  return `status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}
