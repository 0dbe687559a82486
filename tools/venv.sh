#!/usr/bin/env bash
# Create (or reuse) .venv with the exact pins of requirements/dev.txt, then install vit_lit
# in editable mode. The venv is rebuilt whenever the pins or the package metadata change:
# its stamp holds a hash of requirements/dev.txt and setup.py (vit_lit itself is installed
# editable and --no-deps, so settings.ini's ranges never change what is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
want=$(cat requirements/dev.txt setup.py | sha256sum | cut -d' ' -f1)
if [ -f .venv/.stamp ] && [ "$(cat .venv/.stamp)" = "$want" ]; then
  exit 0
fi
echo "make: building .venv from requirements/dev.txt (about 2 minutes)"
rm -rf .venv
"$PYTHON" -m venv .venv
quiet() { "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
# --no-compile: no .pyc for the ~19,000 modules installed (about a minute of one core on an AMD
# EPYC of this project's machine); Python writes them for the ~3,000 that are imported, when first imported.
quiet .venv/bin/pip install -q --disable-pip-version-check --no-compile -r requirements/dev.txt
quiet .venv/bin/pip install -q --disable-pip-version-check --no-compile --no-build-isolation --no-deps -e .
.venv/bin/pip check
echo "$want" > .venv/.stamp
