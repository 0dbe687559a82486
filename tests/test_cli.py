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


@pytest.fixture
def small_folder(tmp_path):
    "30 digits (0, 1, 7) as PNG files, one folder per class."
    d = load_digits_split()
    names, n = {0: "zero", 1: "one", 7: "seven"}, 0
    for i, (image, label) in enumerate(zip(d.x_train, d.y_train)):
        if int(label) in names and n < 30:
            save_png(tmp_path / "folder" / names[int(label)] / f"{i}.png",
                     image[0])
            n += 1
    return tmp_path / "folder"


def train_args(folder, out, *more):
    return ["train", "--dataset", str(folder), "--out", str(out), "--quiet",
            "--batch-size", "16", *map(str, more)]


def test_same_seed_same_checkpoint(small_folder, tmp_path):
    states = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.safetensors"
        torch.rand(5)  # whatever came before must not matter
        assert main(train_args(small_folder, out, "--epochs", "1",
                               "--seed", "3")) == 0
        states.append(load_checkpoint(out))
    a, b = states
    assert a.model.keys() == b.model.keys()
    for k in a.model:
        assert torch.equal(a.model[k], b.model[k]), k
    assert torch.equal(a.rng, b.rng)
    assert a.history["train_loss"] == b.history["train_loss"]
    # the README's promise: all but the seconds recorded
    assert {k: v for k, v in a.history.items() if k != "seconds"} == {
        k: v for k, v in b.history.items() if k != "seconds"}
    assert {k: v for k, v in a.training.items() if k != "seconds"} == {
        k: v for k, v in b.training.items() if k != "seconds"}
    for i, state in a.optimizer["state"].items():
        for k, v in state.items():
            assert torch.equal(torch.as_tensor(v), torch.as_tensor(b.optimizer["state"][i][k])), (i, k)


def test_resume_with_nothing_left_says_so(small_folder, tmp_path, capsys):
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    assert main(train_args(small_folder, first, "--epochs", "1")) == 0
    capsys.readouterr()
    assert main(train_args(small_folder, second, "--epochs", "1",
                           "--resume", first)) == 0
    out = capsys.readouterr().out
    assert out.startswith("nothing to train: ") and "saved" not in out
    assert f"{second} was not written" in out and not second.exists()
    assert main(train_args(small_folder, second, "--epochs", "2",
                           "--resume", first)) == 0
    assert "saved" in capsys.readouterr().out
    assert load_checkpoint(second).history["epoch"] == [1, 2]


def one_line_error(capsys, *args):
    "Exit code 2 and one line on stderr, no traceback; returns the line."
    assert main([str(a) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_bad_arguments_are_refused_before_training(small_folder, tmp_path,
                                                   capsys):
    ckpt = tmp_path / "a.safetensors"
    assert main(train_args(small_folder, ckpt, "--epochs", "1")) == 0
    run = ["train", "--dataset", small_folder, "--epochs", "1", "--quiet"]
    assert "is a folder; give a file name" in one_line_error(
        capsys, *run, "--out", tmp_path)
    assert "does not exist; create it first" in one_line_error(
        capsys, *run, "--out", tmp_path / "missing" / "m.safetensors")
    (tmp_path / "ro").mkdir(mode=0o555)
    err = one_line_error(capsys, *run, "--out", tmp_path / "ro" / "m.st")
    assert "'" + str(tmp_path / "ro") + "' is not writable" in err
    assert ".tmp" not in err
    protected = tmp_path / "p.safetensors"
    protected.write_bytes(ckpt.read_bytes())
    os.chmod(protected, 0o444)
    assert "is write-protected" in one_line_error(capsys, *run, "--out",
                                                  protected)
    assert protected.read_bytes() == ckpt.read_bytes()
    assert (protected.stat().st_mode & 0o777) == 0o444
    out = tmp_path / "new.safetensors"
    assert "unknown device 'gpu'; use one of: cpu" in one_line_error(
        capsys, *run, "--out", out, "--device", "gpu")
    if not torch.cuda.is_available():
        assert "device 'cuda' is not available" in one_line_error(
            capsys, *run, "--out", out, "--device", "cuda")
        assert "device 'cuda' is not available" in one_line_error(
            capsys, "predict", ckpt, "x.png", "--device", "cuda")
    assert "--time-budget must be a positive, finite number" in \
        one_line_error(capsys, "train", "--dataset", small_folder,
                       "--time-budget", "inf", "--out", out)
    assert "--preset cannot change the model of a resumed run" in \
        one_line_error(capsys, *run, "--out", out, "--resume", ckpt,
                       "--preset", "vit_digits_patch2_8")
    assert not out.exists()
    image = next((small_folder / "one").iterdir())
    for top in ("0", "-2"):
        assert f"--top must be at least 1, got {top}" in one_line_error(
            capsys, "predict", ckpt, image, "--top", top)


def test_version(capsys):
    from vit_lit import __version__
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"vit-lit {__version__}\n"


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_load_no_torch(args):
    """`vit-lit --version` and `--help` start fast: they import neither torch
    nor scikit-learn (they took ~6 s, issue 33)."""
    code = ("import sys\nfrom vit_lit.cli import main\ntry:\n"
            f"    main({args!r})\nexcept SystemExit:\n    pass\n"
            "print(sorted({'torch', 'sklearn', 'numpy'} & set(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True)
    assert run.stdout.splitlines()[-1] == "[]", run.stdout


def test_ctrl_c_names_the_last_checkpoint(small_folder, tmp_path):
    import signal
    import time
    out = tmp_path / "run.safetensors"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vit_lit.cli", *train_args(
            small_folder, out, "--epochs", "100000")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        # a job started with `&` by a script ignores SIGINT, and so would
        # this child: give it Python's own handler (KeyboardInterrupt) back
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    start = time.monotonic()
    while not out.exists() and time.monotonic() - start < 120:
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    epochs = len(load_checkpoint(out).history["epoch"])
    assert err == (f"vit-lit train: interrupted; the last complete checkpoint "
                   f"is {out} ({epochs} epoch{'s' if epochs != 1 else ''}); "
                   f"continue with --resume {out}\n")


def test_python_dash_m_vit_lit():
    run = subprocess.run([sys.executable, "-m", "vit_lit", "--version"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.startswith("vit-lit "), run


def test_resume_from_python_checkpoint_with_too_few_classes(tmp_path, capsys,
                                                            small_folder):
    "A checkpoint from fit() without class names: the count must fit."
    from torch.utils.data import TensorDataset
    from vit_lit.model import create_vit
    from vit_lit.train import fit
    model = create_vit("vit_digits_patch4_8", num_classes=2)
    ckpt = tmp_path / "two.safetensors"
    fit(model, TensorDataset(torch.rand(4, 1, 8, 8), torch.tensor([0, 1] * 2)),
        epochs=1, progress=False, device="cpu", checkpoint=ckpt)
    assert "has 3 classes but the checkpoint" in one_line_error(
        capsys, *train_args(small_folder, tmp_path / "b.safetensors",
                            "--epochs", "2", "--resume", ckpt,
                            "--sorted-classes"))


def test_a_checkpoint_without_class_names_needs_sorted_classes(tmp_path, capsys, small_folder):
    """fit on tensors stores no class names: eval and resume on a folder refuse to guess the
    mapping, --sorted-classes takes it; fit(classes=...) matches by name (issue 33, item 3)."""
    from vit_lit.model import create_vit
    from vit_lit.train import fit
    d = load_digits_split()
    keep = (d.y_train == 0) | (d.y_train == 1) | (d.y_train == 7)
    images, labels = d.x_train[keep][:24], d.y_train[keep][:24]
    labels = torch.tensor([{0: 0, 1: 1, 7: 2}[int(v)] for v in labels])
    bare, named = tmp_path / "bare.safetensors", tmp_path / "named.safetensors"
    for path, classes in ((bare, None), (named, ["zero", "one", "seven"])):
        torch.manual_seed(0)
        fit(create_vit("vit_digits_patch4_8", num_classes=3), (images, labels), epochs=1, progress=False,
            device="cpu", checkpoint=path, classes=classes)
    err = one_line_error(capsys, "eval", bare, "--dataset", small_folder)
    assert f"'{bare}' stores no class names" in err and "add --sorted-classes" in err
    assert "stores no class names" in one_line_error(
        capsys, *train_args(small_folder, tmp_path / "c.safetensors", "--epochs", "2", "--resume", bare))
    assert main(["eval", str(bare), "--dataset", str(small_folder), "--sorted-classes"]) == 0
    assert capsys.readouterr().out.startswith("all accuracy")
    assert main(["eval", str(named), "--dataset", str(small_folder)]) == 0
    assert load_checkpoint(named).training["classes"] == ["zero", "one", "seven"]


def test_a_budget_that_stops_within_an_epoch_says_how_far(small_folder,
                                                          tmp_path, capsys,
                                                          monkeypatch):
    "The budget stops within the first epoch; a larger one goes on from there."
    import time
    clock = [0.0]

    def tick():  # one second per reading: no real time in the test
        clock[0] += 1
        return clock[0]

    monkeypatch.setattr(time, "perf_counter", tick)
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    small = ("--batch-size", "4")  # 30 images: 8 steps an epoch
    assert main(train_args(small_folder, first, "--time-budget", "3",
                           *small)) == 0
    out = capsys.readouterr().out
    stopped = load_checkpoint(first)
    assert 0 < stopped.step < 8 and stopped.history["epoch"] == [
        stopped.step / 8]
    assert re.search(r"\(0\.\d+ epochs, \d+ s\); saved ", out), out
    assert main(train_args(small_folder, second, "--time-budget", "6",
                           "--resume", first, *small)) == 0
    out = capsys.readouterr().out
    assert "saved" in out and second.exists(), out  # it trained, in epoch 1
    resumed = load_checkpoint(second)
    assert resumed.step > stopped.step
    assert len(resumed.history["epoch"]) == 1  # the same epoch, further on
    assert resumed.history["epoch"][0] == min(resumed.step / 8, 1)


def test_resume_with_another_batch_size_is_refused_and_another_lr_warned(small_folder, tmp_path, capsys):
    "Issue 33, item 2: --batch-size is refused on resume; --lr and --shift are warned about, in one line."
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    assert main(train_args(small_folder, first, "--epochs", "1")) == 0
    capsys.readouterr()
    err = one_line_error(capsys, "train", "--dataset", small_folder, "--out", second, "--quiet", "--batch-size", "8",
                         "--epochs", "2", "--resume", first)
    assert "the batch size was 16, now 8" in err and not second.exists()
    assert main(train_args(small_folder, second, "--epochs", "2", "--resume", first, "--lr", "1e-3",
                           "--shift", "0")) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("vit-lit train: warning: resuming"), err
    assert "lr was 0.0015, now 0.001; augment was 'random_shift(0.5)', now 'none'" in err
    assert load_checkpoint(second).history["epoch"] == [1, 2]


def test_a_folder_of_one_class_trains_with_a_warning(small_folder, tmp_path, capsys):
    "Issue 33, rough edges: a one-class folder trained silently."
    import shutil
    for name in ("one", "seven"):
        shutil.rmtree(small_folder / name)
    assert main(train_args(small_folder, tmp_path / "a.safetensors", "--epochs", "1")) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning: " in err and "images of one class only" in err, err


def test_image_size_and_channels_resize_and_a_preset_name_evaluates(small_folder, tmp_path, capsys):
    """--image-size/--channels build the preset for other images and resize to them; eval and predict take
    the name of a preset with shipped weights, --resize fits images to it (issue 33, rough edges)."""
    ckpt = tmp_path / "rgb16.safetensors"
    assert main(train_args(small_folder, ckpt, "--epochs", "1", "--image-size", "16", "--channels", "3")) == 0
    config = load_checkpoint(ckpt).config
    assert (config["image_size"], config["channels"], config["num_classes"]) == (16, 3, 3)
    capsys.readouterr()
    assert "was built for other images than --image-size 8 (it has 16); resume with its own" in one_line_error(
        capsys, *train_args(small_folder, tmp_path / "b.safetensors", "--epochs", "2", "--resume", ckpt,
                            "--image-size", "8"))
    image = next((small_folder / "one").iterdir())  # 8x8 grey
    assert main(["predict", str(ckpt), str(image), "--resize"]) == 0
    assert "is 8x8 with 3 channels, but the model takes images of 16x16 with 3" in one_line_error(
        capsys, "predict", ckpt, image)
    assert main(["predict", "vit_mnist_patch4_28", str(image), "--resize", "--top", "1"]) == 0
    assert re.fullmatch(rf"{re.escape(str(image))}: \d \d+\.\d%\n", capsys.readouterr().out)
    assert main(["eval", "vit_mnist_patch4_28", "--dataset", "digits", "--resize"]) == 0
    accuracy = float(re.match(r"test accuracy ([\d.]+)%", capsys.readouterr().out).group(1))
    assert accuracy > 50  # MNIST weights on 8x8 digits blown up to 28x28: far above chance (10%)
    assert "preset 'vit_digits_patch4_8' has no shipped weights" in one_line_error(
        capsys, "eval", "vit_digits_patch4_8")
