"""The reference that tests/js/*.test.cjs compare the JavaScript with, written by PyTorch and NumPy:

    python tests/js/reference.py OUT_DIR

OUT_DIR/digits.u8      the 1,000 MNIST test digits of load_mnist_split, uint8 (1000, 28, 28)
OUT_DIR/logits.f32     the shipped vit_mnist_patch4_28's logits on them, float32 (1000, 10)
OUT_DIR/block0.f32     block 0's attention weights on digit 0, float32 (heads, N, N), and
OUT_DIR/rollout.f32    the rollout of digit 0 (CLS row over the patches, vit_lit.explain), (n,)
OUT_DIR/pads.f32       40 test digits displaced and rescaled as drawn on a 112x112 pad, (40, 112, 112)
OUT_DIR/prepared.f32   vit_lit.data.mnist_like of each pad, float32 (40, 28, 28)
"""
import sys
from pathlib import Path

import numpy as np
import torch

from vit_lit import create_vit, load_mnist_split
from vit_lit.data import mnist_like
from vit_lit.explain import attention_rollout

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_data import as_drawn  # noqa: E402  (tests/test_data.py)

PADS, PAD = 40, 112


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    test = load_mnist_split()
    digits = torch.from_numpy(np.rint(test.x_test.numpy() * 255).astype(np.uint8))
    x = digits.float() / 255  # exactly what the JavaScript reads from digits.u8
    model = create_vit("vit_mnist_patch4_28", pretrained=True).eval()
    with torch.no_grad():
        logits = model(x)
        maps = model.attention_maps(x[:1])
    gen = torch.Generator().manual_seed(0)
    pads = torch.stack([as_drawn(d, gen, PAD)[0] for d in test.x_test[:PADS]])
    files = {"digits.u8": digits, "logits.f32": logits, "block0.f32": maps[0][0],
             "rollout.f32": attention_rollout(maps)[0, 0, 1:], "pads.f32": pads,
             "prepared.f32": torch.stack([mnist_like(p) for p in pads])}
    for name, tensor in files.items():
        (out / name).write_bytes(tensor.contiguous().numpy().tobytes())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
