// Writes the ES-module entries, dist/index.mjs and dist/tfjs.mjs (loraga/tfjs). Node's CJS lexer finds the named
// exports tsc emits, so re-exporting the CommonJS build keeps one implementation (and loads nothing native, and no
// TF.js, at build time). Optional argument: the dist directory (scripts/pack/pack-smoke.sh compiles into a staging copy).
const fs = require('fs');
const path = require('path');
const dist = process.argv[2] ? path.resolve(process.argv[2]) : path.join(__dirname, '..', '..', 'dist');
for (const entry of ['index', 'tfjs']) {
  const body = `export * from './${entry}.js';\nimport cjs from './${entry}.js';\nexport default cjs;\n`;
  fs.writeFileSync(path.join(dist, `${entry}.mjs`), body);
}
