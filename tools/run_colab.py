"""Run the Colab notebooks (colab/<lang>/*.ipynb) top to bottom, as a learner would: `make test-colab`.

    .venv-colab/bin/python tools/run_colab.py [NOTEBOOK ...]     (default: every one of colab/)

Run with the Python of .venv-colab (tools/venv_colab.sh): each notebook gets a kernel of that
Python, whose vit_lit is the non-editable install (a first, added cell checks both), in a
temporary working folder, so nothing lands in the repository. The Colab install cell does
nothing outside Colab: vit_lit is already installed the way it installs it. Outputs are not
compared (another PyTorch draws other numbers); a notebook fails when a cell raises (an assert
included) or runs past the timeout. Two notebooks at a time at most, with the cores shared
between them. Prints one line per notebook with its time, and the failing cell of each failure.
"""
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[1]
CELL_TIMEOUT = 900  # seconds for one cell (chapter 13 trains for about a minute on 2 cores)
JOBS = max(1, min(2, os.cpu_count() or 1))


def check_cell() -> nbformat.NotebookNode:
    "A first cell: the kernel is this Python, and vit_lit is the installed package, not the source tree."
    return nbformat.v4.new_code_cell(
        "import sys, torch, vit_lit\n"
        f"assert sys.prefix == {sys.prefix!r}, sys.prefix\n"
        f"assert vit_lit.__file__.startswith({sys.prefix!r}), vit_lit.__file__\n"
        "print(sys.version.split()[0], torch.__version__, vit_lit.__file__)")


def run(path: Path) -> tuple[Path, float, str | None]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, check_cell())
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                resources={"metadata": {"path": folder}})
        log = Path(folder) / "kernel.log"  # the kernel's stderr, shown only when it dies
        with log.open("w") as stderr:
            try:
                client.execute(stderr=stderr)
                error = None
            except CellExecutionError as e:
                error = re.sub(r"\x1b\[[0-9;]*m", "", str(e))  # no terminal colours in the log
            except (CellTimeoutError, DeadKernelError) as e:
                error = f"{type(e).__name__}: {e}\n{log.read_text(errors='replace')[-3000:]}"
    return path, time.perf_counter() - start, error


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv[1:]] or sorted((ROOT / "colab").glob("*/*.ipynb"))
    # the longest first (training, the trained model), so two runners finish together
    paths.sort(key=lambda p: (not p.stem.startswith(("13", "14")), str(p)))
    # the kernels see no MPLBACKEND of the calling shell (inline figures, as in Colab), and each
    # takes its share of the cores
    os.environ.pop("MPLBACKEND", None)
    os.environ.pop("PYTHONPATH", None)  # Colab has no path to a source tree
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // JOBS)))
    # kernels from this environment only (not a user-wide `python3` kernel of another Python)
    os.environ["JUPYTER_DATA_DIR"] = str(Path(sys.prefix) / "share" / "jupyter")
    print(f"running {len(paths)} Colab notebooks, {JOBS} at a time, with {sys.executable}", flush=True)
    failed = []
    begin = time.perf_counter()
    with ThreadPoolExecutor(JOBS) as pool:
        for done in as_completed([pool.submit(run, p) for p in paths]):
            path, seconds, error = done.result()
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"{'FAILED' if error else 'ok':>6} {seconds:6.1f} s  {name}", flush=True)
            if error:
                failed.append(name)
                print(error, flush=True)
    total = time.perf_counter() - begin
    print(f"{len(paths)} Colab notebooks in {total:.0f} s" + "".join(f"\nfailed: {n}" for n in failed))
    print(f"test-colab: {len(paths) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
