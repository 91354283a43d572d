// Writes dist/index.mjs, the ES-module entry. Node's CJS lexer finds the named exports tsc emits, so re-exporting
// the CommonJS build keeps one implementation (and loads nothing native at build time).
const fs = require('fs');
const path = require('path');
const body = "export * from './index.js';\nimport cjs from './index.js';\nexport default cjs;\n";
fs.writeFileSync(path.join(__dirname, '..', 'dist', 'index.mjs'), body);
