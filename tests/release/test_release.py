"""The release: `python -m build` makes a wheel and an sdist that carry what the package needs at run
time, `twine check` passes, and the wheel installed into a fresh virtual environment works (the
pretrained model predicts a test digit, `vit-lit --help` runs). `make test-release` runs this file;
.github/workflows/release.yml runs it before publishing.

The fresh environment installs the wheel with its dependencies resolved from settings.ini's ranges,
constrained to the pins of requirements/dev.txt, by uv (requirements/uv.txt, which tools/venv.sh
installs into .venv): every pinned wheel is then in uv's cache already, so the install links them in
seconds and downloads nothing (a fresh resolution of the ranges, as Colab's pip does it, is what
`make test-colab` tests). Without uv in .venv, pip does the same, slower.
"""
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
PINS = ROOT / "requirements" / "dev.txt"


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
    # --no-isolation: setuptools and wheel from .venv's pins, not a download per build
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT)
    for path in leftovers:  # what the build wrote into the checkout
        shutil.rmtree(path, ignore_errors=True)
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def shipped() -> list[str]:
    """The files the package needs at run time besides its code: the weights, the JavaScript and
    chapter 16's measured sweep (tracked files)."""
    files = run("git", "-C", ROOT, "ls-files", "vit_lit/weights", "vit_lit/js",
                "vit_lit/results").split()
    for folder in ("js", "weights", "results"):
        assert any(f.startswith(f"vit_lit/{folder}/") for f in files), folder
    return files


def test_twine_check(dist):
    run(sys.executable, "-m", "twine", "check", "--strict", dist["wheel"], dist["sdist"])


def test_wheel_carries_the_package_and_its_weights(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    code = {str(p.relative_to(ROOT)) for p in (ROOT / "vit_lit").glob("*.py")}
    assert code | set(shipped()) <= names, (code | set(shipped())) - names
    assert dist["wheel"].name == f"vit_lit-{VERSION}-py3-none-any.whl"
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names), "the wheel carries no LICENSE"


def test_sdist_builds_the_same_package(dist):
    with tarfile.open(dist["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"setup.py", "settings.ini", "README.md", "CHANGELOG.md", "LICENSE"} <= names
    assert set(shipped()) <= names


def test_wheel_works_in_a_fresh_venv(dist, scratch):
    venv = scratch / "venv"
    # nothing of this checkout: with it on PYTHONPATH, pip would take the vit_lit.egg-info that the
    # build leaves here for an installed vit_lit and skip the wheel
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    python = venv / "bin" / "python"
    uv = Path(sys.executable).parent / "uv"
    if uv.is_file():
        run(uv, "venv", "-q", "--python", sys.executable, venv, env=env)
        run(uv, "pip", "install", "-q", "--python", python, "-c", PINS, dist["wheel"], env=env)
    else:
        run(sys.executable, "-m", "venv", venv, env=env)
        run(python, "-m", "pip", "install", "-q", "-c", PINS, dist["wheel"], env=env)
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
from vit_lit.small_data import load_sweep
assert load_sweep(), "the sweep chapter 16 draws is not in the wheel"
print(vit_lit.__version__)
"""
    assert run(python, "-c", smoke, cwd=scratch, env=env).strip() == VERSION
    assert "usage: vit-lit" in run(venv / "bin" / "vit-lit", "--help", cwd=scratch, env=env)
