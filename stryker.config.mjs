// Mutation testing of lib/ (`npm run test:mutation [-- lib/<folder>]`, scripts/test/mutation.sh): Stryker mutates
// lib/*.ts and runs the jest suites of test/mutation/jest.config.js (which suites are left out, and why, is said
// there) against each mutant; scripts/test/mutation-scores.js prints the score per folder from the JSON report.
//
// Choices, for a 2-core machine:
// - Jest runner, coverageAnalysis 'perTest': each mutant runs only the tests that executed its code in the
//   initial run (a static mutant, in code run at module load, reruns every suite of the run). No
//   --findRelatedTests (enableFindRelatedTests: false): every suite imports lib/index.ts, so it narrows nothing;
//   instead the jest config's runner (test/mutation/runner.js) loads only the suites that hold a covering test.
// - The TypeScript checker (tsconfig.json: lib/ only) rejects mutants that do not compile (CompileError, not in the
//   score) before any test runs; ts-jest itself only transpiles (isolatedModules), so without the checker a mutant
//   that breaks only the types would run and "survive" with no behaviour to test. prioritizePerformanceOverAccuracy
//   checks mutants in groups, which keeps the checker to seconds per file.
// - concurrency 1 (one test runner, one checker); run it under `nice` (the wrapper does).
// - incremental: results are kept per folder under reports/mutation/<folder>/, and a rerun tests only mutants whose
//   code or covering tests changed. Stryker can keep a Survived result when only an assertion inside an existing
//   test changed (seen here: a message check made exact); pass --force after such edits to test every mutant again.
// LORAGA_MUTATE (the wrapper sets it): lib/<folder> or lib/<folder>/<file>.ts, several separated by commas; without
// it, all of lib/. Reports go to reports/mutation/<what>/ (the score script merges them file by file).
// LORAGA_MUTATE_SAMPLE=K mutates only every K-th block of 10 lines of each file (from a block that depends on the
// file's name, so that not every file's sample is its header comment and imports), a stratified sample of the mutants for an estimate of the score when a full run does not fit the time there is
// (reports/mutation/<what>-sample<K>/).
import * as fs from 'fs';
import * as path from 'path';
import process from 'process';

const targets = (process.env.LORAGA_MUTATE || '').split(',').map((t) => t.trim().replace(/\/+$/, '')).filter(Boolean);
const sample = Number(process.env.LORAGA_MUTATE_SAMPLE || 0);
// LORAGA_MUTATE_SHIFT=s takes the s-th other sample (blocks shifted by s): a second, disjoint estimate, e.g. to check
// that tests written against one sample's survivors did not just fit that sample.
const shift = sample > 1 ? Number(process.env.LORAGA_MUTATE_SHIFT || 0) % sample : 0;
const tag = (targets.length ? targets.join('+').replace(/[^A-Za-z0-9+]+/g, '-') : 'lib') + (sample > 1 ? `-sample${sample}${shift ? `s${shift}` : ''}` : '');
const out = path.join('reports', 'mutation', tag);

function tsFiles(p) {
  if (p.endsWith('.ts')) return [p];
  return fs.readdirSync(p, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? tsFiles(path.join(p, d.name)) : d.name.endsWith('.ts') ? [path.join(p, d.name)] : []));
}

function mutate() {
  const roots = targets.length ? targets : ['lib'];
  if (!(sample > 1)) return roots.map((t) => (t.endsWith('.ts') ? t : `${t}/**/*.ts`));
  return roots.flatMap(tsFiles).flatMap((f) => {
    const lines = fs.readFileSync(f, 'utf8').split('\n').length;
    const ranges = [];
    const first = ([...f].reduce((a, c) => a + c.charCodeAt(0), 0) + shift) % sample;
    for (let b = first; b * 10 < lines; b += sample) ranges.push(`${f}:${b * 10 + 1}-${Math.min(b * 10 + 10, lines)}`);
    return ranges;
  });
}

export default {
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'test/mutation/jest.config.js', enableFindRelatedTests: false },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  concurrency: 1,
  mutate: mutate(),
  // Not copied into Stryker's sandbox: build outputs and caches the suites of the run never read.
  ignorePatterns: ['build*/', 'prebuilds/', 'docs/', '.carry/', '.bench/', '.venv-py/', 'coverage/', 'demo-out/', 'example-tfjs-out/', 'reports/', '*.tgz', '.mutation-test-names.json'],
  reporters: ['json', 'html', 'clear-text', 'progress'],
  jsonReporter: { fileName: path.join(out, 'mutation.json') },
  htmlReporter: { fileName: path.join(out, 'mutation.html') },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  incremental: true,
  incrementalFile: path.join(out, 'stryker-incremental.json'),
  timeoutMS: 15000, // generous: the machine is shared, and a slow run is not an infinite loop
  dryRunTimeoutMinutes: 15,
  thresholds: { high: 90, low: 80, break: null },
  cleanTempDir: 'always',
};
