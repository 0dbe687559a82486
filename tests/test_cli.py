"""The `vit-lit` command, run as a real process: train -> eval -> predict,
image folders, resume, and clear errors (exit code 2, no traceback)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from vit_lit.checkpoint import load_checkpoint, load_model
from vit_lit.cli import main
from vit_lit.data import load_digits_split

SCRIPT = Path(sys.executable).parent / "vit-lit"


def vit_lit(*args, cwd=None):
    "Run the command (`python -m vit_lit.cli`, the same `main` as the script)."
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "vit_lit.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=cwd,
                          env=env)


def save_png(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.asarray(pixels) * 255).round().astype("uint8")).save(path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    "One checkpoint of the digits preset after one epoch, and its train output."
    folder = tmp_path_factory.mktemp("cli")
    ckpt = folder / "digits.safetensors"
    run = vit_lit("train", "--dataset", "digits", "--epochs", "1", "--out",
                  ckpt, "--quiet")
    assert run.returncode == 0, run.stderr
    return ckpt, run.stdout


def test_console_script_is_installed():
    assert SCRIPT.exists(), ("no vit-lit script next to python: settings.ini's "
                             "console_scripts must reach setup.py; pip install -e .")
    run = subprocess.run([SCRIPT, "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "train" in run.stdout


@pytest.mark.parametrize("command,expect", [
    ("train", "--time-budget SECONDS"), ("eval", "--dataset"),
    ("predict", "IMAGE")])
def test_help_of_each_subcommand(command, expect, capsys):
    with pytest.raises(SystemExit) as exit:
        main([command, "--help"])
    assert exit.value.code == 0 and expect in capsys.readouterr().out


def test_train_eval_predict(trained, tmp_path):
    ckpt, out = trained
    trained_acc = re.search(r"test accuracy (\d+\.\d\d)%", out).group(1)
    state = load_checkpoint(ckpt)
    assert state.config["num_classes"] == 10 and state.step == 23  # 1437 / 64
    assert state.training["classes"] == [str(i) for i in range(10)]

    run = vit_lit("eval", ckpt)
    assert run.returncode == 0, run.stderr
    m = re.fullmatch(r"test accuracy (\d+\.\d\d)% \((\d+)/360 images\), "
                     r"loss \d+\.\d{4}\n", run.stdout)
    assert m and m.group(1) == trained_acc

    d = load_digits_split()
    files = [tmp_path / f"digit{i}.png" for i in range(3)]
    for f, image in zip(files, d.x_test[:3]):
        save_png(f, image[0])
    run = vit_lit("predict", ckpt, *files, "--top", "2")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 3
    model = load_model(ckpt)
    pixels = torch.stack([torch.from_numpy(np.asarray(Image.open(f),
                                                      dtype=np.float32) / 255)
                          for f in files])[:, None]
    with torch.no_grad():
        probs = model(pixels).softmax(-1)
    for f, line, p in zip(files, lines, probs):
        top = p.topk(2)
        expected = ", ".join(f"{i} {v:.1%}" for v, i in
                             zip(top.values.tolist(), top.indices.tolist()))
        assert line == f"{f}: {expected}"


def test_image_folder_and_resume(tmp_path, capsys):
    d = load_digits_split()
    names = {0: "zero", 1: "one", 7: "seven"}
    for i, (image, label) in enumerate(zip(d.x_train[:120], d.y_train[:120])):
        if int(label) in names:
            save_png(tmp_path / "folder" / names[int(label)] / f"{i}.png",
                     image[0])
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    run = vit_lit("train", "--dataset", tmp_path / "folder", "--epochs", "1",
                  "--out", first, "--quiet", "--batch-size", "16")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("train accuracy")
    state = load_checkpoint(first)
    assert state.config["num_classes"] == 3
    assert state.training["classes"] == ["one", "seven", "zero"]
    run = vit_lit("train", "--dataset", tmp_path / "folder", "--epochs", "2",
                  "--out", second, "--resume", first, "--quiet",
                  "--batch-size", "16")
    assert run.returncode == 0, run.stderr
    assert load_checkpoint(second).history["epoch"] == [1, 2]
    run = vit_lit("predict", second, next((tmp_path / "folder" / "seven")
                                           .iterdir()), "--top", "3")
    assert run.returncode == 0, run.stderr
    assert sorted(re.findall(r"(one|seven|zero) ", run.stdout)) == [
        "one", "seven", "zero"]
    assert ("'digits' has classes '0', '1', '2', '3', '4', '5', '6', '7', "
            "'8', '9' that the model was not trained on (its classes: one, "
            "seven, zero)") in error(capsys, "eval", second, "--dataset",
                                     "digits")


def test_errors_of_the_real_process(tmp_path):
    run = vit_lit("eval", tmp_path / "missing.safetensors")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("vit-lit eval: error: no checkpoint file at")
    run = vit_lit("train", "--dataset", "digits", "--out", "x.safetensors")
    assert run.returncode == 2  # argparse: --epochs or --time-budget
    assert "one of the arguments --epochs --time-budget is required" in run.stderr


def error(capsys, *args):
    "main's exit code must be 2; returns its message on stderr."
    assert main([str(a) for a in args]) == 2
    return capsys.readouterr().err


def test_clear_errors(trained, tmp_path, capsys):
    ckpt, _ = trained
    assert "unknown dataset 'mnist'; use digits, cifar10, or the path" in error(
        capsys, "train", "--dataset", "mnist", "--epochs", "1", "--out",
        tmp_path / "x.safetensors")
    assert "unknown preset 'vit_giant'" in error(
        capsys, "train", "--dataset", "digits", "--preset", "vit_giant",
        "--epochs", "1", "--out", tmp_path / "x.safetensors")
    assert ("each image of 'digits' is 8x8 with 1 channel (greyscale), but the "
            "model takes images of 32x32 with 3 channels") in error(
        capsys, "train", "--dataset", "digits", "--preset",
        "vit_cifar_patch4_32", "--epochs", "1", "--out",
        tmp_path / "x.safetensors")
    Image.new("L", (16, 16)).save(tmp_path / "big.png")
    Image.new("RGB", (8, 8), (200, 30, 0)).save(tmp_path / "colour.png")
    assert ("is 16x16 with 1 channel (greyscale), but the model takes images "
            "of 8x8 with 1 channel (greyscale)") in error(
        capsys, "predict", ckpt, tmp_path / "big.png")
    assert "is 8x8 with 3 channels, but the model takes images of 8x8 with 1" \
        in error(capsys, "predict", ckpt, tmp_path / "colour.png")
    assert "no image file at" in error(
        capsys, "predict", ckpt, tmp_path / "nothing.png")
    (tmp_path / "notes.txt").write_text("hello")
    assert "not an image file" in error(
        capsys, "predict", ckpt, tmp_path / "notes.txt")
    assert "not a readable checkpoint" in error(
        capsys, "eval", tmp_path / "notes.txt")
    assert "add --download" in error(
        capsys, "eval", ckpt, "--dataset", "cifar10", "--data-dir", tmp_path)
