"""fit under torchrun: 2 CPU processes (gloo) end with identical weights, the
loss falls, and only rank 0 writes the checkpoint."""
import json
import subprocess
import sys
import textwrap

import torch
from safetensors.torch import load_file

from vit_lit.checkpoint import load_checkpoint

WORKER = textwrap.dedent("""
    import json, os, sys
    import torch
    from safetensors.torch import save_file
    from vit_lit.data import load_digits_split
    from vit_lit.model import create_vit
    from vit_lit.train import fit, random_shift

    out = sys.argv[1]
    rank = int(os.environ["RANK"])
    torch.manual_seed(rank)  # different starting weights: DDP must sync them
    model = create_vit("vit_digits_patch2_8", dim=32, depth=1, heads=2,
                       mlp_dim=64)
    d = load_digits_split()
    keep = d.y_train < 2  # zeros and ones: 288 images, learnt in a few steps
    history = fit(model, (d.x_train[keep], d.y_train[keep]), epochs=5,
                  batch_size=32, lr=3e-3, warmup_epochs=1, device="cpu",
                  augment=random_shift(1), progress=False,
                  checkpoint=f"{out}/ckpt-{rank}.safetensors")
    save_file(model.state_dict(), f"{out}/weights-{rank}.safetensors")
    with open(f"{out}/history-{rank}.json", "w") as f:
        json.dump(history, f)
""")


def test_two_processes_train_one_model(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone",
         "--nproc_per_node=2", str(script), str(tmp_path)],
        capture_output=True, text=True, timeout=600,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-3000:]
    w0 = load_file(tmp_path / "weights-0.safetensors")
    w1 = load_file(tmp_path / "weights-1.safetensors")
    assert w0.keys() == w1.keys()
    for name in w0:
        assert torch.equal(w0[name], w1[name]), name
    h0, h1 = (json.loads((tmp_path / f"history-{r}.json").read_text())
              for r in (0, 1))
    # the losses are averaged over both processes, so both report the same
    assert h0["train_loss"] == h1["train_loss"]
    assert h0["train_loss"][-1] < h0["train_loss"][0] - 0.5
    assert (tmp_path / "ckpt-0.safetensors").exists()
    assert not (tmp_path / "ckpt-1.safetensors").exists()
    # 288 images, 2 processes, 32 per batch: 5 steps per epoch, 25 in all
    assert load_checkpoint(tmp_path / "ckpt-0.safetensors").step == 25
