#!/usr/bin/env bash
# Makes <repo>/.venv-py, a python venv with the packages the tests against python references need (arguments;
# default: safetensors numpy), installing only what is missing. test/helpers/python.ts finds it. Fails softly: when
# python3, venv or pip cannot provide them it says why and exits 0, and those tests skip printing the reason.
#   bash scripts/build/python-deps.sh                  # safetensors numpy
#   bash scripts/build/python-deps.sh safetensors numpy torch
set -uo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-py
pkgs=("$@")
[ ${#pkgs[@]} -eq 0 ] && pkgs=(safetensors numpy)

soft() {
  echo "loraga: python-deps: $*; tests that need them will skip and say why" >&2
  exit 0
}

command -v python3 >/dev/null || soft "no python3"
if [ ! -x "$venv/bin/python3" ]; then
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    # Debian/Ubuntu ship venv's ensurepip separately (python3-venv): add it where apt can, as system-deps.sh does.
    if command -v apt-get >/dev/null; then
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      echo "loraga: python-deps: installing python3-venv" >&2
      { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null 2>&1 ||
        { $SUDO apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null 2>&1; }; } || true
    fi
    python3 -m venv "$venv" >/dev/null 2>&1 || { rm -rf "$venv"; soft "python3 -m venv failed (install python3-venv)"; }
  fi
fi

missing=()
for p in "${pkgs[@]}"; do
  name="${p%%[<>=!~ ;\[]*}"   # the distribution name of a requirement such as numpy<3
  "$venv/bin/python3" -c "import importlib.metadata as m, sys; m.version(sys.argv[1])" "$name" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "loraga: python-deps: installing ${missing[*]} into $venv" >&2
# No retries: where the default index is unreachable (offline CI with a local index or wheel cache configured),
# each lookup there fails at once instead of after minutes of backoff.
"$venv/bin/python3" -m pip install --disable-pip-version-check -q --retries 0 --timeout 15 "${missing[@]}" || soft "pip could not install ${missing[*]}"
