"""Train the weights that ship inside the package: `vit_lit/weights/<preset>.safetensors`.

    .venv/bin/python tools/make_weights.py                 # the shipped recipe
    .venv/bin/python tools/make_weights.py --epochs 2 --out /tmp/w.safetensors   # a smoke run

The recipe (seeded, a fixed number of epochs, so the result does not depend on the machine's
speed): the `vit_mnist_patch4_28` preset, trained by `vit_lit.fit` (AdamW, warm-up + cosine,
label smoothing 0.1) on the 4,000 training digits of `load_mnist_split()` with random affine
augmentation (rotation, scale, shift). The test accuracy on the held-out 1,000, the recipe, the
training time and the machine go into the file's metadata; the file is written atomically.
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

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn
from tqdm import tqdm

from vit_lit.data import load_mnist_split
from vit_lit.model import PRESETS, create_vit, weights_path
from vit_lit.train import _param_groups, evaluate, fit, warmup_cosine

PRESET = "vit_mnist_patch4_28"
RECIPE = dict(epochs=300, batch_size=128, lr=2e-3, weight_decay=0.1, rotate=8.0, scale=0.08,
              shift=1.5, seed=0, teacher_epochs=0, temperature=2.0)


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


def teacher_cnn() -> nn.Module:
    "A small convolutional network, the teacher when the recipe distils (teacher_epochs > 0)."
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def distil(model, teacher, data, recipe: dict, augment, progress: bool) -> dict:
    """Train `model` on the labels and on the teacher's softened predictions of the same
    augmented images (half each; Hinton et al. 2015): AdamW, warm-up + cosine as in `fit`."""
    x, y = data.x_train, data.y_train
    steps_per_epoch = math.ceil(len(y) / recipe["batch_size"])
    total = recipe["epochs"] * steps_per_epoch
    groups = _param_groups(model, recipe["weight_decay"])
    optimizer = torch.optim.AdamW(groups, lr=recipe["lr"])
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: warmup_cosine(step, total, 3 * steps_per_epoch))
    temp, history = recipe["temperature"], {"epoch": [], "train_loss": []}
    teacher.eval()
    model.train()
    for epoch in tqdm(range(recipe["epochs"]), disable=not progress, unit="epoch"):
        order = torch.randperm(len(y))
        total_loss = 0.0
        for start in range(0, len(y), recipe["batch_size"]):
            idx = order[start:start + recipe["batch_size"]]
            images = augment(x[idx])
            with torch.no_grad():
                soft = F.softmax(teacher(images) / temp, dim=-1)
            logits = model(images)
            hard_loss = F.cross_entropy(logits, y[idx], label_smoothing=0.1)
            soft_loss = F.kl_div(F.log_softmax(logits / temp, dim=-1), soft,
                                 reduction="batchmean") * temp ** 2
            loss = 0.5 * hard_loss + 0.5 * soft_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(idx)
        history["epoch"].append(epoch + 1)
        history["train_loss"].append(total_loss / len(y))
    model.eval()
    return history


def train(recipe: dict, data, *, progress: bool = True, time_budget: float | None = None):
    "Build the preset and train it on `data` (a digits split) by `recipe`; returns (model, history)."
    torch.manual_seed(recipe["seed"])
    model = create_vit(PRESET)
    augment = random_affine(recipe["rotate"], recipe["scale"], recipe["shift"])
    if recipe["teacher_epochs"] > 0:
        teacher = teacher_cnn()
        fit(teacher, (data.x_train, data.y_train), epochs=recipe["teacher_epochs"],
            batch_size=recipe["batch_size"], lr=recipe["lr"], augment=augment,
            seed=recipe["seed"], progress=progress)
        print(f"teacher: test accuracy "
              f"{evaluate(teacher, (data.x_test, data.y_test))['accuracy']:.2%}", flush=True)
        return model, distil(model, teacher, data, recipe, augment, progress)
    history = fit(model, (data.x_train, data.y_train),
                  epochs=None if time_budget else recipe["epochs"], time_budget=time_budget,
                  batch_size=recipe["batch_size"], lr=recipe["lr"],
                  weight_decay=recipe["weight_decay"], augment=augment,
                  seed=recipe["seed"], progress=progress)
    return model, history


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for key, value in RECIPE.items():
        p.add_argument("--" + key.replace("_", "-"), type=type(value), default=value)
    p.add_argument("--threads", type=int, help="torch.set_num_threads")
    p.add_argument("--out", type=Path, default=weights_path(PRESET))
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = {key: getattr(args, key) for key in RECIPE}
    data = load_mnist_split()
    start = time.perf_counter()
    model, history = train(recipe, data)
    seconds = time.perf_counter() - start
    accuracy = evaluate(model, (data.x_test, data.y_test))["accuracy"]
    meta = dict(preset=PRESET, config=json.dumps(model.config), recipe=json.dumps(recipe),
                test_accuracy=f"{accuracy:.4f}", train_seconds=f"{seconds:.0f}",
                machine=f"{platform.processor() or platform.machine()}, "
                        f"{torch.get_num_threads()} threads, torch {torch.__version__}",
                date=date.today().isoformat(), made_by="tools/make_weights.py")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, tmp, metadata=meta)
    os.replace(tmp, args.out)
    print(f"test accuracy {accuracy:.2%} after {len(history['epoch'])} epochs, {seconds:.0f} s; "
          f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
