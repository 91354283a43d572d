#!/usr/bin/env node
// `npm start`'s dependency step: installs node_modules exactly as package-lock.json pins them (`npm ci`), and only
// when they are missing or older than the lockfile. `npm ci` never writes package-lock.json, whereas `npm install`
// rewrites it whenever it differs from what the running npm would write (another npm version, or a package.json
// field such as "bin" not yet mirrored in the lock), which left a clean clone modified after `npm start`.
// `npm ci` runs the install script (scripts/build/install.js: the native build) and `prepare` (TypeScript).
'use strict';
const { execSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const mtime = (p) => { try { return fs.statSync(path.join(root, p)).mtimeMs; } catch { return 0; } };
const installed = mtime('node_modules/.package-lock.json');  // written by npm at the end of every install
if (installed && installed >= mtime('package-lock.json') && installed >= mtime('package.json')) {
  console.log('deps: node_modules is up to date with package-lock.json');
} else {
  console.log(`deps: ${installed ? 'node_modules is older than package-lock.json' : 'no node_modules'}: npm ci`);
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
