#!/usr/bin/env node
// Stands in for node-gyp when scripts/pack/prebuild.js runs prebuildify (its --node-gyp option): prebuildify calls
// `<this> rebuild --target=… --devdir=… --release` in the staging copy and then takes build/Release/*.node. We build
// with cmake-js from CMakeLists.txt instead, the main build, which is also the one that compiles the CUDA backend
// when nvcc is present. Incremental (`compile`, not a clean rebuild): the staging copy keeps source timestamps.
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');

const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [process.cwd()] });
execFileSync(process.execPath, [cmakeJs, 'compile', '--out', 'build', '--CDLORAGA_STATIC_BLAS=ON'],
  { stdio: 'inherit', cwd: process.cwd() });
console.log(`prebuild-cmake: built ${path.join(process.cwd(), 'build', 'Release', 'loraga.node')}`);
