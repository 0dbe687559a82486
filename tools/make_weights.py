"""Train the weights that ship inside the package: `vit_lit/weights/<preset>.safetensors`.

    .venv/bin/python tools/make_weights.py                 # the shipped recipe
    .venv/bin/python tools/make_weights.py --epochs 2 --out /tmp/w.safetensors   # a smoke run

The recipe (seeded, a fixed number of epochs, so the result does not depend on the machine's
speed): the `vit_mnist_patch4_28` preset, trained by `vit_lit.fit` (AdamW, warm-up + cosine,
label smoothing 0.1, weight decay 0.3) on the 4,000 training digits of `load_mnist_split()`
with strong random affine augmentation (up to 20 degrees, 20% scale, 3 pixels), 300 epochs
(about 17 minutes on one core). Measured on the held-out 1,000 (2026-11-26, seed 0): 96.8% with
shifts alone (1.5 px, weight decay 0.1), 97.0% with mild affine (8 degrees, 8%, 1.5 px), 98.2%
with 15 degrees, 15%, 2.5 px and weight decay 0.2, 98.5% with this recipe; distilling from a
small CNN (98.9%) with the mild augmentation gave 97.6%. Training loss reaches label
smoothing's floor in every run: with 4,000 images the ViT overfits, and stronger augmentation
is what helped. Those choices looked at the test images, so the shipped model's test accuracy
is slightly optimistic. Checked without them (2026-12-07, `--validation 500`: trained on 3,500
of the training digits, scored on the other 500, seed 0, one thread): this recipe 98.2%, the
runner-up (15 degrees, 15%, 2.5 px, weight decay 0.2) 96.6%, so validation picks the same
recipe and the weights were not re-made. The test accuracy on the held-out 1,000, the recipe, the
training time, the machine and the input contract (`pretrained_cfg`: size, channels, pixels in
[0, 1], no normalisation) go into the file's metadata; the file is written atomically.
`--metadata-only` rewrites the metadata of an existing file (adds `pretrained_cfg`) and keeps
its tensors bit for bit, without training.
"""
import argparse
import json
import math
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.model_selection import train_test_split

from vit_lit.data import Digits, load_mnist_split
from vit_lit.model import PRESETS, create_vit, weights_path
from vit_lit.train import evaluate, fit

PRESET = "vit_mnist_patch4_28"
RECIPE = dict(epochs=300, batch_size=128, lr=2e-3, weight_decay=0.3, rotate=20.0, scale=0.2,
              shift=3.0, seed=0)


def random_affine(rotate: float, scale: float, shift: float):
    """An augmentation: each image of a batch turned by up to `rotate` degrees, scaled by
    1 +- `scale` and moved by up to `shift` pixels, each drawn evenly at random."""
    def augment(images: torch.Tensor) -> torch.Tensor:
        b, _, h, w = images.shape
        angle = (torch.rand(b) * 2 - 1) * math.radians(rotate)
        zoom = 1 + (torch.rand(b) * 2 - 1) * scale
        theta = torch.zeros(b, 2, 3)
        theta[:, 0, 0] = theta[:, 1, 1] = torch.cos(angle) / zoom
        theta[:, 0, 1] = -torch.sin(angle) / zoom
        theta[:, 1, 0] = torch.sin(angle) / zoom
        theta[:, 0, 2] = (torch.rand(b) * 2 - 1) * shift * 2 / w
        theta[:, 1, 2] = (torch.rand(b) * 2 - 1) * shift * 2 / h
        grid = F.affine_grid(theta.to(images), list(images.shape), align_corners=False)
        return F.grid_sample(images, grid, align_corners=False)
    return augment


def train(recipe: dict, data, *, progress: bool = True, time_budget: float | None = None):
    "Build the preset and train it on `data` (a digits split) by `recipe`; returns (model, history)."
    torch.manual_seed(recipe["seed"])
    model = create_vit(PRESET)
    augment = random_affine(recipe["rotate"], recipe["scale"], recipe["shift"])
    history = fit(model, (data.x_train, data.y_train),
                  epochs=None if time_budget else recipe["epochs"], time_budget=time_budget,
                  batch_size=recipe["batch_size"], lr=recipe["lr"],
                  weight_decay=recipe["weight_decay"], augment=augment,
                  seed=recipe["seed"], progress=progress)
    return model, history


def validate(recipe: dict, data, n: int) -> int:
    "Train by `recipe` on the training digits less `n` held out for validation; print the score."
    if not 0 < n < len(data.y_train):
        raise SystemExit(f"--validation {n}: pick 0 < N < {len(data.y_train)} held-out images")
    fit_idx, val_idx = train_test_split(np.arange(len(data.y_train)), test_size=n,
                                        stratify=data.y_train.numpy(), random_state=0)
    part = Digits(data.x_train[fit_idx], data.y_train[fit_idx],
                  data.x_train[val_idx], data.y_train[val_idx])
    start = time.perf_counter()
    model, _ = train(recipe, part, progress=False)
    accuracy = evaluate(model, (part.x_test, part.y_test))["accuracy"]
    print(json.dumps(dict(recipe=recipe, validation=n, validation_accuracy=round(accuracy, 4),
                          train_seconds=round(time.perf_counter() - start),
                          date=date.today().isoformat())))
    return 0


def write(path: Path, tensors: dict, meta: dict) -> None:
    "Write a safetensors file atomically (a temporary file, then a rename)."
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, tmp, metadata=meta)
    os.replace(tmp, path)


def rewrite_metadata(path: Path) -> int:
    "Add the preset's input contract (`pretrained_cfg`) to `path`'s metadata; tensors unchanged."
    with safe_open(path, "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    meta["pretrained_cfg"] = json.dumps(create_vit(meta["preset"]).pretrained_cfg)
    write(path, tensors, meta)
    with safe_open(path, "pt") as f:  # the same bytes for every tensor
        assert all(torch.equal(f.get_tensor(k), v) for k, v in tensors.items())
    print(f"wrote the metadata of {path}: pretrained_cfg = {meta['pretrained_cfg']}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for key, value in RECIPE.items():
        p.add_argument("--" + key.replace("_", "-"), type=type(value), default=value)
    p.add_argument("--threads", type=int, help="torch.set_num_threads")
    p.add_argument("--out", type=Path, default=weights_path(PRESET))
    p.add_argument("--validation", type=int, default=0, metavar="N",
                   help="choose a recipe: train on the 4,000 training digits less N of them "
                        "(stratified) and report the accuracy on those N; writes no weights "
                        "and never looks at the test images")
    p.add_argument("--metadata-only", action="store_true",
                   help="add pretrained_cfg to the metadata of --out; no training")
    args = p.parse_args()
    if args.metadata_only:
        return rewrite_metadata(args.out)
    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = {key: getattr(args, key) for key in RECIPE}
    data = load_mnist_split()
    if args.validation:
        return validate(recipe, data, args.validation)
    start = time.perf_counter()
    model, history = train(recipe, data)
    seconds = time.perf_counter() - start
    accuracy = evaluate(model, (data.x_test, data.y_test))["accuracy"]
    meta = dict(preset=PRESET, config=json.dumps(model.config), recipe=json.dumps(recipe),
                test_accuracy=f"{accuracy:.4f}", train_seconds=f"{seconds:.0f}",
                machine=f"{platform.processor() or platform.machine()}, "
                        f"{torch.get_num_threads()} threads, torch {torch.__version__}",
                date=date.today().isoformat(), made_by="tools/make_weights.py",
                pretrained_cfg=json.dumps(model.pretrained_cfg))
    write(args.out, {k: v.contiguous() for k, v in model.state_dict().items()}, meta)
    print(f"test accuracy {accuracy:.2%} after {len(history['epoch'])} epochs, {seconds:.0f} s; "
          f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
