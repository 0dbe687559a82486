"""Compute chapter 15's comparison of attribution maps on the shipped MNIST ViT and save it.

    .venv/bin/python tools/attribution_table.py        # writes vit_lit/weights/<preset>.attributions.json

On the first 200 test images of `load_mnist_split()` and the shipped `vit_mnist_patch4_28`
weights, for every map of `vit_lit.explain.ATTRIBUTIONS` and the two baselines (ink mass, a
seeded random map), per image: the area under the deletion and insertion curves, and Spearman's
rank correlation with occlusion. Then the sanity checks: the rank correlation of each map with
the same map after cascading randomisation of the weights (`randomize`, from the classifier
down), and with the map for the runner-up class. The per-image numbers are saved, so the chapter
draws its spreads from them and recomputes a part of them live to check that they still hold;
the occlusion maps themselves are saved too, the yardstick that exercises compare new maps with.
The file records the date, the SHA-256 of the weights' tensors and the time taken; it ships inside the package
beside the weights (setup.py's package_data), so Colab and the book read it with the library.
The run takes a few minutes on one core (OMP_NUM_THREADS=1).
"""
import hashlib
import json
import time
from datetime import date

import torch
from safetensors.torch import save

from vit_lit.data import load_mnist_split
from vit_lit.explain import (ATTRIBUTIONS, curve_area, deletion_curve, ink_map, insertion_curve,
                             random_map, randomize, rank_correlation)
from vit_lit.model import create_vit, weights_path

PRESET = "vit_mnist_patch4_28"
IMAGES = 200                         # the first IMAGES test images
STAGES = ["head", 3, 2, 1, 0, "all"]  # cascading randomisation, from the classifier down
SEED = 0                              # the random map's seed
REINIT_SEED = 1  # randomize's seed; seed 0 would redraw the very weights training started from
OUT = weights_path(PRESET).with_suffix(".attributions.json")


def all_maps(model, images, target, patch_size):
    "Every method's maps (B, grid, grid) for `target`, the baselines last."
    maps = {name: fn(model, images, target) for name, fn in ATTRIBUTIONS.items()}
    maps["ink"] = ink_map(images, patch_size)
    maps["random"] = random_map(images, patch_size, torch.Generator().manual_seed(SEED))
    return maps


def main() -> None:
    start = time.perf_counter()
    torch.manual_seed(SEED)
    model = create_vit(PRESET, pretrained=True).eval()
    p = model.config["patch_size"]
    images = load_mnist_split().x_test[:IMAGES]
    with torch.no_grad():
        logits = model(images)
    predicted, runner_up = logits.topk(2, dim=-1).indices.unbind(-1)
    maps = all_maps(model, images, predicted, p)
    methods = {}
    for name, m in maps.items():
        methods[name] = {
            "deletion": curve_area(deletion_curve(model, images, m, predicted)).tolist(),
            "insertion": curve_area(insertion_curve(model, images, m, predicted)).tolist(),
            "spearman_occlusion": rank_correlation(m, maps["occlusion"]).tolist(),
            "runner_up": None, "randomized": {}}
    for name, m in all_maps(model, images, runner_up, p).items():
        methods[name]["runner_up"] = rank_correlation(m, maps[name]).tolist()
    for stage in STAGES:
        shuffled = randomize(model, stage, seed=REINIT_SEED)
        for name, m in all_maps(shuffled, images, predicted, p).items():
            methods[name]["randomized"][str(stage)] = rank_correlation(m, maps[name]).tolist()
    # the digest of the tensors alone: the file's metadata may change without changing a weight
    digest = hashlib.sha256(save(model.state_dict())).hexdigest()
    result = {"made_by": "tools/attribution_table.py", "date": date.today().isoformat(),
              "seconds": round(time.perf_counter() - start), "preset": PRESET,
              "weights_sha256": digest, "images": f"load_mnist_split().x_test[:{IMAGES}]",
              "target": "predicted class (runner_up: the second most likely class)",
              "stages": [str(s) for s in STAGES], "methods": methods,
              "occlusion_maps": maps["occlusion"].flatten(1).tolist()}
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    tmp.replace(OUT)
    print(f"wrote {OUT} in {result['seconds']} s")


if __name__ == "__main__":
    main()
