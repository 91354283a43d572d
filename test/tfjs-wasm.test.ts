/**
 * The loraga/tfjs test files once more, on TF.js's wasm backend (@tensorflow/tfjs-backend-wasm): there every
 * fromTf is a download from the wasm heap and every toTf an upload, so these check that the glue copies where it
 * must and computes the same results (gradients, inits, training, save/load, PEFT files) as on the pure-JS backend.
 * The same tests, not a second copy of them: each file below reads the backend from helpers/tfjs.ts.
 */
process.env.LORAGA_TFJS_BACKEND = 'wasm';

/* eslint-disable @typescript-eslint/no-require-imports -- the files must load after the backend is chosen */
describe('on the wasm backend', () => {
  require('./tfjs-convert.test');
  require('./tfjs-lora-dense.test');
  require('./tfjs-optimizer.test');
  require('./tfjs-model.test');
  require('./tfjs-import.test');
});
