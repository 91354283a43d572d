/**
 * Jest as Stryker runs it (stryker.config.mjs, `npm run test:mutation`): the CPU suite against lib/*.ts through
 * ts-jest, as jest.config.js, less the suites that cannot kill a mutant of lib/ or make every run impractically slow
 * on 2 cores. (ts-jest compiles each file on its own, `isolatedModules` in tsconfig.json: no type-check in the runner;
 * the TypeScript checker of stryker.config.mjs rejects mutants that do not compile before any test runs.)
 *
 * Left out, and why:
 * - test/gpu/: the GPU suite (`npm run test:gpu`); without a GPU it only skips.
 * - pack (≈ 100 s), entrypoints, demo, example-tfjs, readme-tfjs, readme-training: they run the built package (dist/,
 *   packed tarballs, scripts) in child processes; Stryker mutates lib/*.ts in memory, which those never load.
 * - leaks: RSS bounds over thousands of iterations in child processes of dist/ (slow, and never loads lib/).
 * - tfjs-model (≈ 25 s): TF.js training of whole models; it exercises lib/tfjs, not the folders held to a score.
 * - peft-python, safetensors-reference: python-reference suites (LORAGA_PYTHON=none skips them anyway).
 *
 * LORAGA_MUTATE=lib/<folder> (set by scripts/test/mutation.sh) narrows the run to the suites that test that folder
 * (FOLDER_TESTS below): every suite imports lib/index, so jest's --findRelatedTests cannot narrow it, and a static
 * mutant (one in code run when a module loads) reruns every suite Stryker knows of.
 */
const base = require('../../jest.config.js');

const EXCLUDED = ['test/gpu/', 'pack', 'entrypoints', 'demo', 'example-tfjs', 'readme-tfjs', 'readme-training', 'leaks', 'tfjs-model', 'peft-python', 'safetensors-reference'];

/**
 * The suites that test each folder: those that import and call its code in-process (lib/init's rng also through
 * lib/train's dropout; lib/io through every adapter, checkpoint and CLI write). A suite left out here can still
 * cover the folder; it is left out because a static mutant reruns the whole list, and the list keeps that to ~10 s.
 */
const FOLDER_TESTS = {
  'lib/peft': ['peft-adapter', 'peft-patterns', 'peft-targets', 'adapter-writes', 'peft-parity', 'cli-init', 'cli', 'init-adapters', 'train-export', 'loraga-reference'],
  'lib/io': ['safetensors', 'safetensors-errors', 'safetensors-entries', 'fs-writes', 'safetensors-conformance', 'safetensors-fuzz', 'adapter-writes', 'peft-adapter', 'init-adapters', 'cli-init', 'train-export'],
  'lib/init': ['init', 'init-options', 'spectral-report', 'init-adapters', 'gradient-sketch', 'loraga-reference', 'numerical-edges', 'peft-parity', 'pinned-properties', 'cli-init', 'train-lora-one', 'train-parity', 'randomized-svd-accuracy', 'init-given-factors', 'block-krylov-svd'],
  'lib/train': ['train-rng', 'train-misuse', 'train-checkpoint', 'train-export', 'train-linear', 'train-lora-linear', 'train-lora-one', 'train-lora-pro', 'train-native', 'train-optim', 'train-parity', 'train-schedule', 'pinned-properties', 'peft-parity'],
};

// LORAGA_MUTATE: lib/<folder>s or files in them (lib/init/rng.ts → lib/init's suites), separated by commas.
const folders = (process.env.LORAGA_MUTATE || '').split(',').map((t) => t.trim().replace(/\/+$/, '').replace(/^(lib\/[^/]+)\/.*\.ts$/, '$1')).filter(Boolean);
// Every folder's list when each has one; else every suite not excluded.
const only = folders.length && folders.every((f) => FOLDER_TESTS[f]) ? [...new Set(folders.flatMap((f) => FOLDER_TESTS[f]))] : null;

module.exports = {
  ...base,
  rootDir: '../..',
  testMatch: only ? only.map((t) => `<rootDir>/test/${t}.test.ts`) : base.testMatch,
  // Setup outside tests counts for every test of its file, not for every suite (environment.js).
  testEnvironment: require.resolve('./environment.js'), // absolute: Stryker loads it itself, without <rootDir>
  // Runs only the suites that hold the tests a mutant run asks for (runner.js).
  runner: '<rootDir>/test/mutation/runner.js',
  testPathIgnorePatterns: ['/node_modules/', ...EXCLUDED.map((t) => (t.endsWith('/') ? `/${t}` : `/test/${t}\\.test\\.ts$`))],
};
