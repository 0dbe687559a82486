"""How good is the digits ViT after a given number of seconds of training?

    .venv/bin/python bench/digits.py            # 3 seeds x 10, 20, 30, 60 s (about 7 min)
    .venv/bin/python bench/digits.py --quick    # a smoke run (one seed, 3 s)

Trains the `vit_digits_patch2_8` preset with `vit_lit.fit` and its defaults
(AdamW, warm-up + cosine, label smoothing; random shifts with --shift) for each
time budget and seed, then measures test accuracy on the fixed split (1,437 /
360). Beside it: an RBF SVM and logistic regression from scikit-learn on the
same split, with their times. Prints a Markdown table for the README.
"""
import argparse
import os
import platform
import statistics
import time
from datetime import date

import torch
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from vit_lit.data import load_digits_split
from vit_lit.model import PRESETS, create_vit
from vit_lit.train import evaluate, fit, random_shift


def vit_row(digits, budget, seeds, device, preset, shift, **fit_kw):
    accs, times = [], []
    for seed in seeds:
        torch.manual_seed(seed)
        model = create_vit(preset)
        start = time.perf_counter()
        fit(model, (digits.x_train, digits.y_train), time_budget=budget,
            augment=random_shift(shift) if shift else None, seed=seed,
            device=device, progress=False,
            **fit_kw)
        times.append(time.perf_counter() - start)
        accs.append(evaluate(model, (digits.x_test, digits.y_test))["accuracy"])
    return accs, times


def sklearn_row(digits, model):
    x, xt = digits.x_train.flatten(1).numpy(), digits.x_test.flatten(1).numpy()
    start = time.perf_counter()
    model.fit(x, digits.y_train.numpy())
    acc = float((model.predict(xt) == digits.y_test.numpy()).mean())
    return [acc], [time.perf_counter() - start]


def fmt(name, accs, times):
    mean = statistics.mean(accs)
    spread = (f"{min(accs):.2%} – {max(accs):.2%}" if len(accs) > 1 else "–")
    return (f"| {name} | {statistics.mean(times):.1f} | {mean:.2%} | {spread} | "
            f"{len(accs)} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one seed, 3 s")
    p.add_argument("--budgets", type=float, nargs="+", default=[10, 20, 30, 60])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available()
                   else "cpu")
    p.add_argument("--preset", default="vit_digits_patch4_8")
    p.add_argument("--lr", type=float, help="override fit's default lr")
    p.add_argument("--batch-size", type=int, help="override fit's batch size")
    p.add_argument("--shift", type=float, default=0.5,
                   help="random shifts of up to this many pixels (default 0.5)")
    p.add_argument("--threads", type=int, help="torch.set_num_threads")
    args = p.parse_args()
    budgets, seeds = (([3], [0]) if args.quick else (args.budgets, args.seeds))
    if args.threads:
        torch.set_num_threads(args.threads)
    fit_kw = {k: v for k, v in dict(lr=args.lr, batch_size=args.batch_size)
              .items() if v is not None}
    digits = load_digits_split()
    device = torch.device(args.device)
    where = (torch.cuda.get_device_name(device) if device.type == "cuda"
             else f"CPU, {os.cpu_count()} cores, {torch.get_num_threads()} "
             "torch threads")
    print(f"digits benchmark, {date.today()}, {where}, torch "
          f"{torch.__version__}, Python {platform.python_version()}")
    print(f"ViT: {args.preset} {PRESETS[args.preset]}, fit defaults "
          f"{fit_kw or ''}, random shifts of {args.shift} pixel(s)\n")
    print("| model | seconds (train) | test accuracy (mean) | spread "
          "(min – max) | runs |")
    print("|---|---|---|---|---|")
    for budget in budgets:
        accs, times = vit_row(digits, budget, seeds, device, args.preset,
                              args.shift, **fit_kw)
        print(fmt(f"ViT, {budget:g} s budget", accs, times), flush=True)
    print(fmt("RBF SVM (C=10)", *sklearn_row(digits, SVC(C=10.0))))
    print(fmt("logistic regression", *sklearn_row(
        digits, LogisticRegression(max_iter=1000))))


if __name__ == "__main__":
    main()
