#!/usr/bin/env bash
# The GPU check: on a machine with a CUDA GPU, run every library test (tests/test_cuda.py included,
# none may be skipped for want of a GPU), every notebook under nbval (chapter 13 then trains on the
# GPU; the stored outputs must not change) and the CUDA speed table (bench/speed.py --device cuda,
# then its torch.compile rows while time is left). Logs and tables go to $OUT (the device tool
# brings that folder back) or to _build/gpu.
#
#   tools/gpu_check.sh          # on the GPU machine (at most about 6 minutes)
#   tools/gpu_check.sh --cpu    # a dry run here: the same steps on the CPU, tests/test_cuda.py
#                               # on the CPU, a smoke run of the CPU benchmark instead of the CUDA one
#   tools/gpu_check.sh --steps tests,notebooks   # some of the steps: bench, tests, notebooks,
#                                                # compile (the torch.compile rows)
#
# Python packages the GPU machine lacks travel as wheels: `tools/gpu_wheels.sh` downloads them
# into .whl/ here (kept out of git); this script installs .whl/*.whl into /tmp/vit-lit-site when
# the folder is there, installs vit_lit from this tree without dependencies, then checks every
# prerequisite and names what is missing before it runs anything.
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=cuda
STEPS=bench,tests,notebooks,compile
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) MODE=cpu ;;
    --steps) STEPS=${2:-}; shift ;;
    -h|--help) sed -n '2,19p' "$0" | cut -c3-; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$1'; use --cpu for a dry run, --steps" \
            "bench,tests,notebooks,compile for some steps, or nothing" >&2; exit 2 ;;
  esac
  shift
done
step() { [[ ",$STEPS," == *",$1,"* ]]; }
OUTDIR=${OUT:-_build/gpu}
mkdir -p "$OUTDIR"
PY=${PYTHON:-$( [ -x .venv/bin/python ] && [ "$MODE" = cpu ] && echo .venv/bin/python || echo python3)}
case "$PY" in /*) ;; */*) PY="$PWD/$PY" ;; esac  # the checks below run from other folders
export PYTHONHASHSEED=0 VIT_LIT_LANG=en PYTHONUNBUFFERED=1
unset MPLBACKEND
[ "$MODE" = cpu ] && export VIT_LIT_TEST_DEVICE=cpu
begin=$(date +%s)
elapsed() { echo $(( $(date +%s) - begin )); }
say() { echo "[gpu_check $(elapsed) s] $*" | tee -a "$OUTDIR/summary.txt"; }
: > "$OUTDIR/summary.txt"

# 1. carried wheels, then vit_lit from this tree (editable: the tests and notebooks use this tree)
py312=$("$PY" -c 'import sys; print(sys.version_info[:2] == (3, 12))')
if compgen -G ".whl/*.whl" >/dev/null && [ "$py312" = True ]; then  # the wheels are for 3.12
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/vit-lit-site .whl/*.whl 2>&1 | grep -v "^WARNING: Target directory" \
    || true
  export PYTHONPATH=/tmp/vit-lit-site${PYTHONPATH:+:$PYTHONPATH}
  say "installed $(ls .whl/*.whl | wc -l) carried wheels into /tmp/vit-lit-site"
fi
here=$PWD
if ! (cd / && "$PY" - "$here" <<'EOF' 2>/dev/null); then  # from / : not found by the current folder
import pathlib, sys, vit_lit
sys.exit(pathlib.Path(vit_lit.__file__).resolve().parent != pathlib.Path(sys.argv[1], "vit_lit"))
EOF
  # --use-pep517: setuptools' own editable build, not `setup.py develop` (which wants the network)
  "$PY" -m pip install -q --no-index --no-deps --no-build-isolation --use-pep517 -e . \
    || { say "FAIL: pip install -e . (vit_lit from this tree)"; exit 2; }
  say "installed vit_lit from this tree (editable, no dependencies)"
fi

# 2. prerequisites, with versions (versions.txt)
"$PY" - "$MODE" > "$OUTDIR/versions.txt" <<'EOF'
import importlib, importlib.util, platform, sys
mode = sys.argv[1]
need = ["torch", "torchvision", "timm", "transformers", "einops", "matplotlib", "sklearn",
        "safetensors", "tqdm", "PIL", "peft", "onnx", "onnxruntime", "onnxscript", "pytest",
        "nbval", "ipykernel", "jupyter_client", "koreanize_matplotlib", "mlxtend", "yaml",
        "captum"]
missing = []
print(f"python {platform.python_version()} ({sys.executable})")
for name in need:
    if importlib.util.find_spec(name) is None:
        missing.append(name)
        continue
    if name in ("mlxtend", "koreanize_matplotlib"):  # data files only: not imported
        print(f"{name} found")
        continue
    module = importlib.import_module(name)
    print(f"{name} {getattr(module, '__version__', '?')}")
if missing:
    sys.exit(f"missing Python packages: {', '.join(missing)}; download their wheels here with "
             "tools/gpu_wheels.sh (into .whl/) and carry .whl to the GPU machine")
import torch
if mode == "cuda" and not torch.cuda.is_available():
    sys.exit(f"torch {torch.__version__} sees no CUDA GPU; run this on the GPU machine, "
             "or use --cpu for a dry run")
if torch.cuda.is_available():
    print(f"GPU {torch.cuda.get_device_name()}, CUDA {torch.version.cuda}, "
          f"cuDNN {torch.backends.cudnn.version()}")
print("xdist", "found" if importlib.util.find_spec("xdist") else "missing (tests run serially)")
EOF
status=$?
cat "$OUTDIR/versions.txt"
if [ $status -ne 0 ]; then
  say "FAIL: prerequisites (see above)"
  exit 2
fi
command -v nvidia-smi >/dev/null && nvidia-smi >> "$OUTDIR/versions.txt" 2>&1

# 3. the speed table first, while nothing else runs on the GPU
bench=0
if step bench; then
  if [ "$MODE" = cuda ]; then speed=(--device cuda); else speed=(--quick --only digits --no-memory); fi
  timeout 200 "$PY" bench/speed.py "${speed[@]}" > "$OUTDIR/speed.md" 2>&1
  bench=$?
  say "speed table: exit $bench ($OUTDIR/speed.md)"
fi

# 4. library tests and notebooks side by side (16 cores there; serially without pytest-xdist)
# up to three pytest runs at once, 5 workers each: two threads per process, not one per core each
workers=()
if "$PY" -c "import xdist" 2>/dev/null; then
  n=$(( $(nproc) / 3 )); [ "$n" -gt 5 ] && n=5; [ "$n" -lt 1 ] && n=1
  workers=(-n "$n")
  export OMP_NUM_THREADS=2
fi
deselect=()
if ! command -v node >/dev/null; then  # these run Node.js (the book's JavaScript), not CUDA code
  deselect=(--deselect tests/test_explore.py::test_script_as_a_reader_uses_it
            --deselect tests/test_explore.py::test_several_explorers_on_one_page
            --deselect tests/test_tools.py::test_actionlint_catches_a_broken_workflow
            --deselect tests/test_tools.py::test_check_browser_names_what_is_missing_and_the_command)
  say "no Node.js here: 4 tests that run JavaScript or look for a browser are left to make test"
fi
tests=0 notebooks=0 tests_pid= nbs_pid= strict_pid=
if step tests; then
  "$PY" -m pytest -q -rs -p no:cacheprovider "${workers[@]}" tests --ignore=tests/book \
    "${deselect[@]}" > "$OUTDIR/tests.log" 2>&1 &
  tests_pid=$!
fi
# The stored outputs were made with requirements/dev.txt's PyTorch; another version draws other
# random numbers from the same seed, so where the machine's PyTorch differs the gate is nbval-lax
# (every cell runs, every assert holds, outputs not compared) and the strict comparison is logged
# (notebooks_strict.log) to tell a GPU difference from a version difference.
pinned=$(sed -n 's/^torch==//p' requirements/dev.txt)
have=$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')
nbval=(-p no:cacheprovider "${workers[@]}" ${workers:+--dist loadfile}
       --nbval-sanitize-with tools/nbval_sanitize.cfg
       --nbval-kernel-startup-timeout 300)  # 60 s was too short with ~30 processes starting
if step notebooks && [ "$have" = "$pinned" ]; then
  "$PY" -m pytest -q "${nbval[@]}" --nbval nbs > "$OUTDIR/notebooks.log" 2>&1 &
  nbs_pid=$!
elif step notebooks; then
  say "torch $have here, $pinned pinned: notebooks gated by nbval-lax, strict run logged"
  "$PY" -m pytest -q "${nbval[@]}" --nbval-lax nbs > "$OUTDIR/notebooks.log" 2>&1 &
  nbs_pid=$!
  "$PY" -m pytest -q "${nbval[@]}" --nbval nbs > "$OUTDIR/notebooks_strict.log" 2>&1 &
  strict_pid=$!
fi
if [ -n "$tests_pid" ]; then
  wait "$tests_pid"; tests=$?
  say "library tests: exit $tests; $(tail -n 1 "$OUTDIR/tests.log")"
  gpu_skips=$(grep -c "SKIPPED.*needs a GPU" "$OUTDIR/tests.log")
  if [ "$MODE" = cuda ] && [ "$gpu_skips" -gt 0 ]; then
    say "FAIL: $gpu_skips tests were skipped for want of a GPU"
    tests=1
  fi
fi
if [ -n "$nbs_pid" ]; then
  wait "$nbs_pid"; notebooks=$?
  say "notebooks: exit $notebooks; $(tail -n 1 "$OUTDIR/notebooks.log")"
fi
if [ -n "$strict_pid" ]; then
  wait "$strict_pid"
  say "notebooks, outputs compared (not a gate here): $(tail -n 1 "$OUTDIR/notebooks_strict.log")"
fi

# 5. torch.compile rows while time is left (the whole check ends by GPU_CHECK_SECONDS, 6 minutes)
if step compile && [ "$MODE" = cuda ]; then
  left=$(( ${GPU_CHECK_SECONDS:-360} - $(elapsed) ))
  if [ "$left" -gt 60 ]; then
    timeout "$left" "$PY" bench/speed.py --device cuda --compile > "$OUTDIR/speed_compile.md" 2>&1
    say "speed table with torch.compile: exit $? (124 = ran out of time; not a gate)"
  else
    say "no time left for the torch.compile rows"
  fi
fi

if [ $bench -ne 0 ] || [ $tests -ne 0 ] || [ $notebooks -ne 0 ]; then
  say "gpu_check: FAILED (speed $bench, tests $tests, notebooks $notebooks)"
  exit 1
fi
say "gpu_check: all green ($MODE)"
