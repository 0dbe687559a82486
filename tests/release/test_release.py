"""The release: `python -m build` makes a wheel and an sdist that carry what the package needs at run
time, `twine check` passes, and the wheel installed into a fresh virtual environment works (the
pretrained model predicts a test digit, `vit-lit --help` runs). `make test-release` runs this file;
.github/workflows/release.yml runs it before publishing.

The fresh environment installs the wheel with its dependencies resolved from settings.ini's ranges,
but from a local folder of wheels (.wheelhouse, filled from the package index the first time, and
again whenever settings.ini's requirements change), so a run after the first one downloads nothing.
torch comes as its CPU build (PyTorch's CPU index, or a CPU wheel in pip's find-links folders):
a fresh CUDA torch would add gigabytes of NVIDIA libraries that a smoke test does not use.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from configparser import ConfigParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CFG = ConfigParser(delimiters=["="])
CFG.read(ROOT / "settings.ini", encoding="utf-8")
VERSION = CFG["DEFAULT"]["version"]
WHEELHOUSE = ROOT / ".wheelhouse"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def run(*args, **kwargs):
    "Run a command; on failure, fail the test with its output."
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    noise = "is ignored: it is neither a file nor a directory"
    assert done.returncode == 0, "\n".join(
        line for line in (done.stdout + done.stderr).splitlines() if noise not in line)[-4000:]
    return done.stdout


@pytest.fixture(scope="module")
def scratch():
    """A folder of this run's own (not pytest's tmp_path: pytest removes the oldest of those when
    another pytest starts, which on a shared machine can happen during the long install)."""
    with tempfile.TemporaryDirectory(prefix="vit-lit-release-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def dist(scratch):
    "The sdist and the wheel, built as the release workflow builds them."
    out = scratch / "dist"
    leftovers = [p for p in (ROOT / "build", ROOT / "vit_lit.egg-info") if not p.exists()]
    run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    for path in leftovers:  # what the build wrote into the checkout
        shutil.rmtree(path, ignore_errors=True)
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def shipped() -> list[str]:
    "The files the package needs at run time besides its code: the weights folder (tracked files)."
    files = run("git", "-C", ROOT, "ls-files", "vit_lit/weights").split()
    assert files, "vit_lit/weights has no tracked files"
    return files


def test_twine_check(dist):
    run(sys.executable, "-m", "twine", "check", "--strict", dist["wheel"], dist["sdist"])


def test_wheel_carries_the_package_and_its_weights(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    code = {str(p.relative_to(ROOT)) for p in (ROOT / "vit_lit").glob("*.py")}
    assert code | set(shipped()) <= names, (code | set(shipped())) - names
    assert dist["wheel"].name == f"vit_lit-{VERSION}-py3-none-any.whl"


def test_sdist_builds_the_same_package(dist):
    with tarfile.open(dist["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"setup.py", "settings.ini", "README.md", "CHANGELOG.md"} <= names
    assert set(shipped()) <= names


def cpu_torch() -> list[str]:
    "pip arguments that install a CPU build of torch: a CPU wheel in pip's find-links folders, or the CPU index."
    folders = [f for f in os.environ.get("PIP_FIND_LINKS", "").split() if Path(f).is_dir()]
    local = sorted(w for f in folders for w in Path(f).glob("torch-*+cpu-*.whl"))
    return [str(local[-1])] if local else ["torch", "--index-url", CPU_INDEX]


def fill_wheelhouse(wheel: Path) -> Path:
    "Wheels of every dependency of `wheel` (torch a CPU build), downloaded once per set of requirements."
    key = hashlib.sha256((CFG["DEFAULT"]["requirements"] + " ".join(cpu_torch())).encode()).hexdigest()[:12]
    house = WHEELHOUSE / key
    if not (house / ".complete").is_file():
        shutil.rmtree(WHEELHOUSE, ignore_errors=True)
        house.mkdir(parents=True)
        pip = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--dest", house]
        run(*pip, *cpu_torch(), "--no-deps")
        torch = next(house.glob("torch-*.whl")).name.split("-")[1]  # keep this torch in the resolution
        (house / "constraints.txt").write_text(f"torch=={torch}\n")
        run(*pip, "--find-links", house, "-c", house / "constraints.txt", wheel)
        (house / wheel.name).unlink()
        (house / ".complete").touch()
    return house


def test_wheel_works_in_a_fresh_venv(dist, scratch):
    house = fill_wheelhouse(dist["wheel"])
    venv = scratch / "venv"
    # nothing of this checkout: with it on PYTHONPATH, pip would take the vit_lit.egg-info that the
    # build leaves here for an installed vit_lit and skip the wheel
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run(sys.executable, "-m", "venv", venv, env=env)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--no-index", "--find-links", house, dist["wheel"], env=env)
    smoke = """
import torch
import vit_lit
from vit_lit import create_vit, load_mnist_split
assert "site-packages" in vit_lit.__file__, vit_lit.__file__
model = create_vit("vit_mnist_patch4_28", pretrained=True).eval()
test = load_mnist_split()
with torch.no_grad():
    predicted = model(test.x_test[:1]).argmax(-1)
assert predicted.item() == test.y_test[0].item(), (predicted, test.y_test[0])
print(vit_lit.__version__)
"""
    assert run(python, "-c", smoke, cwd=scratch, env=env).strip() == VERSION
    assert "usage: vit-lit" in run(venv / "bin" / "vit-lit", "--help", cwd=scratch, env=env)
