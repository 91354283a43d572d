#!/usr/bin/env bash
# Installs the system packages a source build needs (Debian/Ubuntu): OpenBLAS (BLAS + LAPACK), a C++ toolchain,
# cmake and python3 for node-gyp. Does nothing when they are already present.
set -euo pipefail
missing=()
for pkg in libopenblas-dev g++ make cmake python3 pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "loraga: installing system packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
