#!/usr/bin/env node
// Runs before `npm test` / `npm run demo`: builds whatever is missing (native addon via cmake-js, TypeScript to
// dist/) so that one command works on a fresh clone after `npm ci`. Does nothing when both are present.
'use strict';
const { execSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..', '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

let haveAddon = !!process.env.LORAGA_BINARY;
if (!haveAddon) {
  try {
    require('node-gyp-build').path(root);
    haveAddon = true;
  } catch (_) { /* not built yet */ }
}
if (!haveAddon) run('npx cmake-js compile --out build');
if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) run('npm run build:ts');
