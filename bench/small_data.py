"""What closes a small-data ViT's gap to a CNN: each of vit_lit's small-data options alone, and
together, against the shipped recipe and a CNN of the same size, at equal time (issue 34).

    .venv/bin/python bench/small_data.py --quick              # a smoke run (two variants, 2 s)
    .venv/bin/python bench/small_data.py --procs 2            # the sweep (hours: resumable)
    .venv/bin/python bench/small_data.py --report             # the table from what is done
    .venv/bin/python bench/small_data.py --variants avg sincos --seeds 0 1 2 --budgets 30 60
    .venv/bin/python bench/small_data.py --test --variants spt+avg+sincos cnn --budgets 300
                                                              # the final rows, on the test digits

Data: the 4,000 training digits of `load_mnist_split()`, of which a stratified 500 (fixed by
`--split-seed`) are the **validation** split every number here is measured on; the models train
on the other 3,500. The 1,000 test digits are not touched (the chapter uses them once, for its
final rows). Training: `vit_lit.fit` by `tools/make_weights.py`'s recipe (batch size, learning
rate, weight decay, random affine augmentation), for a time budget instead of a number of epochs
(fit sizes its schedule to the budget), one torch thread per run, one run per (variant, budget,
seed). The budget counts the CPU seconds of the run's process (`CPUClock`), which on an idle
core are its wall-clock seconds: so other work on the machine slows a sweep down but does not
change its numbers. A variant is the `vit_mnist_patch4_28` preset with `create_vit` overrides
(the options of `vit_lit.variants`) and, for the augmentation rows, recipe overrides (VARIANTS
below); "cnn" is bench/mnist.py's LeNet-5 style CNN scaled to the ViT's parameter count.

Every finished run is appended as one JSON line to `--out` (default
vit_lit/results/small_data.jsonl, the file chapter 16 draws and the package ships) with the
machine, torch version and date, and runs already there are skipped: a sweep cut short goes on
where it stopped. `--procs N` runs N processes side by side (each one thread). The "distill"
row is DeiT's distillation token with this CNN as teacher: the CNN trains for the first quarter
of the budget (its validation accuracy and seconds are recorded as teacher_*), the ViT for the
rest, the CNN's forward passes counted in the ViT's time.
"""
import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "bench")]
from make_weights import PRESET, RECIPE, random_affine  # noqa: E402
from mnist import count, cpu_name, lenet, lenet_widths  # noqa: E402

from vit_lit.data import load_mnist_split  # noqa: E402
from vit_lit.model import create_vit  # noqa: E402
import vit_lit.train  # noqa: E402
from vit_lit.train import evaluate, fit  # noqa: E402

# name: (create_vit overrides of PRESET, recipe overrides); "cnn" is the CNN
VARIANTS = {
    "shipped": ({}, {}),
    "avg": ({"pool": "avg"}, {}),
    "sincos": ({"pos_embed": "sincos"}, {}),
    "conv-stem": ({"stem": "conv"}, {}),
    "spt": ({"spt": True}, {}),
    "lsa": ({"lsa": True}, {}),
    "spt+lsa": ({"spt": True, "lsa": True}, {}),
    "patch2": ({"patch_size": 2}, {}),
    "aug-light": ({}, {"rotate": 10.0, "scale": 0.1, "shift": 2.0}),
    "aug-none": ({}, {"rotate": 0.0, "scale": 0.0, "shift": 0.0}),
    "avg+sincos+conv-stem": ({"pool": "avg", "pos_embed": "sincos", "stem": "conv"}, {}),
    "spt+avg+sincos": ({"spt": True, "pool": "avg", "pos_embed": "sincos"}, {}),
    # DeiT: the CNN below trains for a quarter of the budget, then teaches the ViT for the rest
    "distill": ({"distill_token": True}, {"teacher": 0.25}),
    # width against depth at about the shipped parameter count (139,018)
    "deep-narrow": ({"dim": 48, "depth": 7, "mlp_dim": 96}, {}),      # 136,570
    "wide-shallow": ({"dim": 92, "depth": 2, "mlp_dim": 184}, {}),    # 144,818
    "cnn": (None, {}),
}
BUDGETS = (30.0, 60.0, 120.0, 300.0)
SEEDS = (0, 1, 2)
VALIDATION = 500


def split(split_seed: int, test: bool = False):
    """(train, validation): the 4,000 training digits less a stratified 500, and those 500;
    with `test`, the final rows' split: all 4,000 and the 1,000 test digits."""
    from sklearn.model_selection import train_test_split
    digits = load_mnist_split()
    if test:
        return (digits.x_train, digits.y_train), (digits.x_test, digits.y_test)
    train, val = train_test_split(torch.arange(len(digits.y_train)), test_size=VALIDATION,
                                  stratify=digits.y_train.numpy(), random_state=split_seed)
    pick = lambda idx: (digits.x_train[idx], digits.y_train[idx])  # noqa: E731
    return pick(train), pick(val)


def build(variant: str) -> torch.nn.Module:
    overrides, _ = VARIANTS[variant]
    if overrides is None:
        return lenet(*lenet_widths(count(create_vit(PRESET))))
    return create_vit(PRESET, **overrides)


class CPUClock:
    """`fit`'s clock in a sweep process: the CPU seconds of this process (one torch thread), so
    that a run whose core is shared with other work still trains for its whole budget."""
    perf_counter = staticmethod(time.process_time)


def train(model, data, budget: float, recipe: dict, seed: int, teacher=None) -> dict:
    "`fit` by the recipe for `budget` CPU seconds; its history."
    vit_lit.train.time = CPUClock
    return fit(model, data, time_budget=budget, batch_size=recipe["batch_size"],
               lr=recipe["lr"], weight_decay=recipe["weight_decay"],
               augment=random_affine(recipe["rotate"], recipe["scale"], recipe["shift"]),
               seed=seed, device="cpu", progress=False, teacher=teacher)


def run_one(variant: str, budget: float, seed: int, split_seed: int, test: bool = False) -> dict:
    """Train one variant for `budget` seconds of one thread; its validation accuracy and more
    (with `test`: trained on all 4,000, its test accuracy as `test_accuracy`). A distilled
    variant spends its teacher's share of the budget on the CNN first."""
    torch.set_num_threads(1)
    load, wall = os.getloadavg()[0], time.perf_counter()
    (x, y), val = split(split_seed, test)
    recipe = {**RECIPE, **VARIANTS[variant][1]}
    share, extra, teacher = recipe.get("teacher", 0), {}, None
    score = "test_accuracy" if test else "val_accuracy"
    torch.manual_seed(seed)
    if share:
        teacher = build("cnn")
        seconds = train(teacher, (x, y), budget * share, recipe, seed)["seconds"][-1]
        extra = {f"teacher_{score}": evaluate(teacher, val)["accuracy"],
                 "teacher_seconds": seconds}
    model = build(variant)
    history = train(model, (x, y), budget * (1 - share), recipe, seed, teacher)
    return dict(variant=variant, budget=budget, seed=seed, split_seed=split_seed,
                **{score: evaluate(model, val)["accuracy"]}, parameters=count(model),
                epochs=history["epoch"][-1],  # a fraction where the budget ended an epoch
                seconds=history["seconds"][-1] + extra.get("teacher_seconds", 0), **extra,
                wall_seconds=time.perf_counter() - wall,  # data, model, training, scoring
                load=round(max(load, os.getloadavg()[0]), 2),
                date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                machine=f"{cpu_name()}, {os.cpu_count()} CPUs", torch=torch.__version__,
                python=platform.python_version())


def _work(job):
    return run_one(*job)


def done_runs(out: Path) -> list[dict]:
    if not out.is_file():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def report(runs: list[dict], budgets, variants) -> str:
    "A Markdown table: validation accuracy per variant and budget, mean and spread over seeds."
    lines = ["| variant | parameters | " + " | ".join(f"{b:g} s" for b in budgets) + " |",
             "|---|--:|" + "--:|" * len(budgets)]
    for variant in variants:
        mine = [r for r in runs if r["variant"] == variant]
        if not mine:
            continue
        cells = []
        for b in budgets:
            accs = [r.get("val_accuracy", r.get("test_accuracy")) for r in mine if r["budget"] == b]
            cells.append("–" if not accs else f"{statistics.mean(accs):.1%}" + (
                f" ({min(accs):.1%}–{max(accs):.1%}, n={len(accs)})" if len(accs) > 1 else " (n=1)"))
        lines.append(f"| {variant} | {mine[0]['parameters']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS),
                   metavar="NAME", help=f"which rows (default: all): {', '.join(VARIANTS)}")
    p.add_argument("--budgets", type=float, nargs="+", default=list(BUDGETS), help="seconds per run")
    p.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    p.add_argument("--split-seed", type=int, default=0, help="which 500 are the validation split")
    p.add_argument("--procs", type=int, default=1, help="runs side by side, one thread each")
    p.add_argument("--out", type=Path, default=ROOT / "vit_lit" / "results" / "small_data.jsonl")
    p.add_argument("--report", action="store_true", help="print the table of --out and stop")
    p.add_argument("--test", action="store_true", help="the final rows: train on all 4,000 "
                   "training digits, score once on the 1,000 test digits (default --out: "
                   "vit_lit/results/small_data_test.jsonl)")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 variants, 2 s, seed 0, "
                   "written to a temporary file")
    args = p.parse_args(argv)
    if args.procs < 1:
        p.error(f"--procs must be at least 1, not {args.procs}")
    if any(b <= 0 for b in args.budgets):
        p.error(f"every budget must be above 0 seconds, not {args.budgets}")
    if args.test and args.out == p.get_default("out"):
        args.out = args.out.with_name("small_data_test.jsonl")
    if args.quick:
        import tempfile
        args.variants, args.budgets, args.seeds = ["shipped", "cnn"], [2.0], [0]
        args.out = Path(tempfile.mkdtemp()) / "small_data.jsonl"
    if args.report:
        print(report(done_runs(args.out), args.budgets, args.variants))
        return 0
    have = {(r["variant"], r["budget"], r["seed"], r["split_seed"]) for r in done_runs(args.out)}
    jobs = [(v, b, s, args.split_seed, args.test) for b in args.budgets for s in args.seeds for v in args.variants
            if (v, b, s, args.split_seed) not in have]  # one split per file
    print(f"{len(jobs)} runs to do ({len(have)} already in {args.out}), {args.procs} at a time: "
          f"about {sum(j[1] for j in jobs) / args.procs / 60:.0f} min", file=sys.stderr, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with mp.get_context("spawn").Pool(args.procs, maxtasksperchild=1) as pool:
        for result in pool.imap_unordered(_work, jobs):
            with open(args.out, "a") as f:  # one line per run, written whole
                f.write(json.dumps(result) + "\n")
            print(f"{result['variant']}, {result['budget']:g} s, seed {result['seed']}: "
                  f"{result.get('val_accuracy', result.get('test_accuracy')):.1%} after "
                  f"{result['epochs']:.1f} epochs "
                  f"({time.perf_counter() - start:.0f} s in)", file=sys.stderr, flush=True)
    print(report(done_runs(args.out), args.budgets, args.variants))
    return 0


if __name__ == "__main__":
    sys.exit(main())
