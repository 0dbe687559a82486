#!/usr/bin/env bash
# Create (or reuse) .venv-colab for `make test-colab`: Python 3.12 with the pins of
# requirements/colab.txt (torch 2.11 from PyPI), then vit_lit installed the way the Colab install
# cell does it: not editable, dependencies resolved from settings.ini's ranges. The venv is rebuilt
# when the pins, the package metadata or this script change (a hash in .venv-colab/.stamp); vit_lit
# itself is reinstalled from the working tree on every call, so the notebooks run today's code.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-colab

find_python() {
  if [ -n "${PYTHON_COLAB:-}" ]; then echo "$PYTHON_COLAB"; return; fi
  if python3.12 -c "" 2>/dev/null; then command -v python3.12; return; fi
  # pyenv keeps other versions out of PATH until asked for
  if command -v pyenv >/dev/null; then
    local v
    v=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.[0-9]+)?$' | tail -n 1 || true)
    if [ -n "$v" ]; then PYENV_VERSION=$v pyenv which python3.12; return; fi
  fi
  echo "make test-colab: no Python 3.12 found (python3.12 is not on PATH, and pyenv has no 3.12);" \
       "install one (pyenv install 3.12, the system's python3.12 and python3.12-venv packages" \
       "where it has them, or actions/setup-python with python-version 3.12), or point" \
       "PYTHON_COLAB at it" >&2
  exit 1
}

quiet() { "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
pip=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
want=$(cat requirements/colab.txt settings.ini setup.py tools/venv_colab.sh | sha256sum | cut -d' ' -f1)
fresh=false  # a new venv: its dependencies come from settings.ini's ranges below
if [ ! -f "$VENV/.stamp" ] || [ "$(cat "$VENV/.stamp")" != "$want" ]; then
  fresh=true
  PYTHON=$(find_python)
  echo "make test-colab: building $VENV with $("$PYTHON" --version) from requirements/colab.txt" \
       "(torch from PyPI: a few GB, several minutes the first time)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  quiet "${pip[@]}" -r requirements/colab.txt
fi

# vit_lit from the working tree (tracked and untracked files that git does not ignore), built in a
# copy so that the build leaves nothing in the repository.
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done |
  xargs -0 -r cp --parents -t "$src"
if $fresh; then
  # first time: dependencies resolved from settings.ini's ranges, as in Colab
  quiet "${pip[@]}" "$src"
  "$VENV/bin/python" -m pip check
  echo "$want" > "$VENV/.stamp"
else
  quiet "${pip[@]}" --no-deps --force-reinstall "$src"
fi
"$VENV/bin/python" -I -c "import sys, torch, vit_lit; print(f'{sys.executable}: Python {sys.version.split()[0]}, torch {torch.__version__}, vit_lit {vit_lit.__version__} ({vit_lit.__file__})')"
