"""The ViT against a CNN of the same size and two classic models on 28x28 MNIST.

    .venv/bin/python bench/mnist.py            # 3 seeds x 30, 60, 120, 300 s (about 26 min)
    .venv/bin/python bench/mnist.py --quick    # a smoke run (one seed, 3 s)

On the fixed split of `load_mnist_split()` (4,000 train / 1,000 test): the
`vit_mnist_patch4_28` preset and a LeNet-5 style CNN whose widths are scaled to
about the ViT's parameter count, both trained by `vit_lit.fit` exactly by the
recipe of `tools/make_weights.py` (its batch size, learning rate and random
affine augmentation; fit's other defaults), but for a time budget instead of
a number of epochs: one run per budget and seed, test accuracy at its end.
Fairness: every model uses one torch thread, and the ViT and the CNN of the
same budget and seed train at the same time in two processes (started together
at a barrier), so both see the same load. Beside them: an RBF SVM and logistic
regression from scikit-learn on the flattened pixels (one thread), with their
times. Prints a Markdown table for the README.
"""
import argparse
import multiprocessing as mp
import os
import platform
import queue
import statistics
import sys
import time
import traceback
from datetime import date
from pathlib import Path

import torch
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from make_weights import PRESET, RECIPE, random_affine  # noqa: E402

from vit_lit.data import load_mnist_split  # noqa: E402
from vit_lit.model import create_vit  # noqa: E402
from vit_lit.train import evaluate, fit  # noqa: E402

LENET5 = (6, 16, 120)   # LeNet-5's widths: conv 1, conv 2, hidden fc


def lenet(c1: int, c2: int, hidden: int, classes: int = 10) -> nn.Module:
    """LeNet-5 style for 28x28 grey images, with ReLU and max pooling:
    conv 5x5 (padding 2) - pool - conv 5x5 - pool - fc - fc."""
    return nn.Sequential(
        nn.Conv2d(1, c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 14x14
        nn.Conv2d(c1, c2, 5), nn.ReLU(), nn.MaxPool2d(2),            # 5x5
        nn.Flatten(), nn.Linear(c2 * 25, hidden), nn.ReLU(),
        nn.Linear(hidden, classes))


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def lenet_widths(target: int) -> tuple[int, int, int]:
    "LeNet-5's widths times the scale whose parameter count is nearest `target`."
    def widths(k):
        return tuple(max(1, round(w * k)) for w in LENET5)
    def params(c1, c2, hidden):   # what count(lenet(c1, c2, hidden)) gives
        return (c1 * 26 + c2 * (25 * c1 + 1) + hidden * (25 * c2 + 1)
                + 10 * (hidden + 1))
    scales = [i / 100 for i in range(50, 1001)]
    return widths(min(scales, key=lambda k: abs(params(*widths(k)) - target)))


def build(kind: str, widths) -> nn.Module:
    return create_vit(PRESET) if kind == "ViT" else lenet(*widths)


def worker(kind, widths, jobs, barrier, results):
    """Train `kind` for each (budget, seed) of `jobs` on one thread, starting
    each run at `barrier` together with the other model's process."""
    try:
        torch.set_num_threads(1)
        data = load_mnist_split()
        augment = random_affine(RECIPE["rotate"], RECIPE["scale"],
                                RECIPE["shift"])
        for budget, seed in jobs:
            torch.manual_seed(seed)
            model = build(kind, widths)
            barrier.wait()
            history = fit(model, (data.x_train, data.y_train),
                          time_budget=budget,
                          batch_size=RECIPE["batch_size"], lr=RECIPE["lr"],
                          augment=augment, seed=seed, device="cpu",
                          progress=False)
            acc = evaluate(model, (data.x_test, data.y_test))["accuracy"]
            results.put((kind, budget, seed, acc, len(history["epoch"]),
                         history["seconds"][-1]))
    except BaseException:
        barrier.abort()   # free the other process instead of leaving it waiting
        results.put((kind, "error", traceback.format_exc()))


def run_pair(jobs, widths):
    """Run the ViT and the CNN side by side over `jobs`; yield each result as it
    comes: (model, budget, seed, accuracy, epochs, seconds)."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(kind, widths, jobs, barrier,
                                              results))
             for kind in ("ViT", "CNN")]
    for proc in procs:
        proc.start()
    try:
        for _ in range(2 * len(jobs)):
            while True:
                try:
                    result = results.get(timeout=5)
                    break
                except queue.Empty:
                    dead = [p for p in procs if p.exitcode not in (None, 0)]
                    if dead:
                        raise RuntimeError(
                            f"a training process died (exit code "
                            f"{dead[0].exitcode}); see its output above")
            if result[1] == "error":
                raise RuntimeError(f"the {result[0]} process failed:\n"
                                   f"{result[2]}")
            yield result
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def sklearn_run(data, model):
    x = data.x_train.flatten(1).numpy()
    xt = data.x_test.flatten(1).numpy()
    with threadpool_limits(1):
        start = time.perf_counter()
        model.fit(x, data.y_train.numpy())
        seconds = time.perf_counter() - start
        acc = float((model.predict(xt) == data.y_test.numpy()).mean())
    return acc, seconds


def row(name, params, budget, accs, epochs):
    mean = statistics.mean(accs)
    spread = (f"{min(accs):.2%} – {max(accs):.2%}" if len(accs) > 1 else "–")
    reached = (f"{min(epochs)} – {max(epochs)}" if min(epochs) != max(epochs)
               else f"{epochs[0]}") if epochs else "–"
    return (f"| {name} | {params} | {budget} | {mean:.2%} | {spread} | "
            f"{reached} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one seed, 3 s")
    p.add_argument("--budgets", type=float, nargs="+",
                   default=[30, 60, 120, 300], help="seconds per run")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    budgets, seeds = (([3.0], [0]) if args.quick else (args.budgets, args.seeds))
    torch.set_num_threads(1)
    vit_params = count(create_vit(PRESET))
    widths = lenet_widths(vit_params)
    cnn_params = count(lenet(*widths))
    print(f"MNIST benchmark, {date.today()}, {cpu_name()}, "
          f"{os.cpu_count()} cores, 1 torch thread per model, "
          f"torch {torch.__version__}, "
          f"Python {platform.python_version()}")
    print(f"Split: load_mnist_split() (4,000 train / 1,000 test). ViT: {PRESET}, "
          f"{vit_params:,} parameters. CNN: LeNet-5 style, widths "
          f"{widths} (conv, conv, fc), {cnn_params:,} parameters.")
    recipe = {k: v for k, v in RECIPE.items() if k not in ("epochs", "seed")}
    print(f"Both: vit_lit.fit by tools/make_weights.py's recipe {recipe}, "
          "for a time budget; ViT and CNN of the same budget and seed train "
          "side by side.\n", flush=True)
    jobs = [(budget, seed) for budget in budgets for seed in seeds]
    runs = {}
    for kind, budget, seed, acc, epochs, seconds in run_pair(jobs, widths):
        runs[kind, budget, seed] = (acc, epochs)
        print(f"{kind}, {budget:g} s, seed {seed}: {acc:.2%} after {epochs} "
              f"epochs, {seconds:.1f} s", file=sys.stderr, flush=True)
    print("| model | parameters | budget (s) | test accuracy (mean) | "
          "spread (min – max) | epochs reached |")
    print("|---|---|---|---|---|---|")
    for budget in budgets:
        for kind, params in (("ViT", vit_params), ("CNN", cnn_params)):
            done = [runs[kind, budget, s] for s in seeds]
            name = (f"ViT `{PRESET}`" if kind == "ViT"
                    else "CNN, LeNet-5 style")
            print(row(name, f"{params:,}", f"{budget:g}",
                      [a for a, _ in done], [e for _, e in done]))
    data = load_mnist_split()
    svm = SVC(C=10.0)
    acc, seconds = sklearn_run(data, svm)
    print(row("RBF SVM (C=10)", f"{svm.support_vectors_.shape[0]:,} "
              "support vectors", f"{seconds:.1f} (took)", [acc], []))
    logreg = LogisticRegression(max_iter=1000)
    acc, seconds = sklearn_run(data, logreg)
    print(row("logistic regression",
              f"{logreg.coef_.size + logreg.intercept_.size:,}",
              f"{seconds:.1f} (took)", [acc], []))


if __name__ == "__main__":
    main()
