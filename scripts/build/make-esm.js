// Writes dist/index.mjs, the ES-module entry. Node's CJS lexer finds the named exports tsc emits, so re-exporting
// the CommonJS build keeps one implementation (and loads nothing native at build time). Optional argument: the
// dist directory (scripts/pack/pack-smoke.sh compiles into a staging copy).
const fs = require('fs');
const path = require('path');
const body = "export * from './index.js';\nimport cjs from './index.js';\nexport default cjs;\n";
const dist = process.argv[2] ? path.resolve(process.argv[2]) : path.join(__dirname, '..', '..', 'dist');
fs.writeFileSync(path.join(dist, 'index.mjs'), body);
