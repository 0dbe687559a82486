#!/usr/bin/env bash
# Create (or reuse) .venv with the exact pins of requirements/dev.txt, then install vit_lit
# in editable mode. The venv is rebuilt whenever the pins or the package metadata change:
# its stamp holds a hash of requirements/dev.txt, requirements/uv.txt and setup.py (vit_lit itself
# is installed editable and --no-deps, so settings.ini's ranges never change what is installed).
#
# The installer is uv (pinned in requirements/uv.txt, itself installed by pip into the new .venv):
# it installs the ~170 pinned packages in parallel and links them from its cache, so a rebuild takes
# ~10 s instead of pip's ~150 s (measured on this project's 2-core AMD EPYC with warm caches; from
# cold caches it downloads ~3 GB either way: 78 s here). Where uv cannot be installed, pip does it all.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
want=$(cat requirements/dev.txt requirements/uv.txt setup.py | sha256sum | cut -d' ' -f1)
if [ -f .venv/.stamp ] && [ "$(cat .venv/.stamp)" = "$want" ]; then
  exit 0
fi
echo "make: building .venv from requirements/dev.txt"
rm -rf .venv
"$PYTHON" -m venv .venv
quiet() { "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
pip=(.venv/bin/pip install -q --disable-pip-version-check --no-compile)
if quiet "${pip[@]}" -r requirements/uv.txt && .venv/bin/uv --version >/dev/null 2>&1; then
  # no .pyc compiled at install (uv's default): Python writes them for the modules it imports
  uv=(.venv/bin/uv pip install -q --python .venv/bin/python)
  "${uv[@]}" -r requirements/dev.txt
  "${uv[@]}" --no-build-isolation --no-deps -e .
else
  echo "make: uv could not be installed; installing with pip (about 2 minutes)"
  # --no-compile: no .pyc for the ~19,000 modules installed (about a minute of one core)
  quiet "${pip[@]}" -r requirements/dev.txt
  quiet "${pip[@]}" --no-build-isolation --no-deps -e .
fi
.venv/bin/pip check
echo "$want" > .venv/.stamp
