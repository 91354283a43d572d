#!/usr/bin/env node
// Runs before `npm test` / `npm run demo` / the benchmarks: builds whatever is missing so that one command works on
// a fresh clone after `npm ci --ignore-scripts`: the native addon through the install script's source build
// (scripts/build/install.js: cmake-js, or node-gyp when cmake is missing) and TypeScript to dist/. Does nothing when
// both are present ($LORAGA_BINARY counts as a present addon).
'use strict';
const { execSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..', '..');

const install = require('./install');

if (!process.env.LORAGA_BINARY && !install.candidate()) {
  try {
    install.sourceBuild();
  } catch (e) {
    console.error(`ensure-built: ${e.message}`);
    process.exit(1);
  }
}
if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) execSync('npm run build:ts', { cwd: root, stdio: 'inherit' });
