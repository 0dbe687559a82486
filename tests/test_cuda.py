"""The library on a CUDA GPU: the same numbers as on the CPU, within float32's
reach (TF32 switched off where exact agreement is claimed), bf16 autocast that
keeps the shipped model's accuracy, training, checkpoints and the explain tools.

Every test here is skipped without a GPU; `tools/gpu_check.sh` runs them on one
and fails when any is skipped there."""
import math
import os

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from conftest import interrupted_after
from vit_lit import ViT, create_vit
from vit_lit.data import load_digits_split, load_mnist_split
from vit_lit.explain import (ATTRIBUTIONS, attention_maps, attention_rollout,
                             deletion_curve, mean_attention_distance,
                             randomize)
from vit_lit.train import evaluate, fit, random_shift

# VIT_LIT_TEST_DEVICE=cpu runs these tests on the CPU: a dry run of the GPU check
DEVICE = os.environ.get("VIT_LIT_TEST_DEVICE", "cuda")
pytestmark = pytest.mark.skipif(
    DEVICE == "cuda" and not torch.cuda.is_available(), reason="needs a GPU")

SMALL = dict(image_size=32, patch_size=8, num_classes=7, channels=3, dim=64,
             depth=3, heads=4, mlp_dim=128)


@pytest.fixture
def no_tf32():
    "Full float32 matmuls and convolutions for the duration of a test."
    saved = (torch.backends.cuda.matmul.allow_tf32,
             torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def pair(seed=0, **config):
    "The same seeded ViT on the CPU and on the GPU."
    torch.manual_seed(seed)
    cpu = ViT(**{**SMALL, **config})
    gpu = ViT(**{**SMALL, **config})
    gpu.load_state_dict(cpu.state_dict())
    return cpu, gpu.to(DEVICE)


def test_forward_matches_the_cpu(no_tf32):
    cpu, gpu = pair()
    x = torch.randn(5, 3, 32, 32)
    with torch.no_grad():
        want, got = cpu.eval()(x), gpu.eval()(x.to(DEVICE)).cpu()
    assert got.dtype == torch.float32
    assert (got - want).abs().max() < 1e-4


def test_gradients_match_the_cpu(no_tf32):
    cpu, gpu = pair(seed=1)
    x, y = torch.randn(6, 3, 32, 32), torch.randint(0, 7, (6,))
    F.cross_entropy(cpu(x), y).backward()
    F.cross_entropy(gpu(x.to(DEVICE)), y.to(DEVICE)).backward()
    for (name, p), q in zip(cpu.named_parameters(), gpu.parameters()):
        scale = p.grad.abs().max().clamp_min(1e-6)
        assert ((q.grad.cpu() - p.grad).abs().max() / scale) < 1e-3, name


def test_gradient_checkpointing_keeps_the_gradients(no_tf32):
    _, plain = pair(seed=2)
    _, ckpt = pair(seed=2)
    ckpt.set_grad_checkpointing()
    x = torch.randn(4, 3, 32, 32, device=DEVICE)
    y = torch.tensor([0, 1, 2, 3], device=DEVICE)
    for m in (plain, ckpt):
        F.cross_entropy(m(x), y).backward()
    for p, q in zip(plain.parameters(), ckpt.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-6)


@pytest.fixture(scope="module")
def mnist():
    return load_mnist_split()


@pytest.mark.parametrize("autocast", [False, True], ids=["float32", "bf16"])
def test_shipped_model_keeps_its_accuracy(mnist, autocast):
    """98.5% (985 of 1,000) on the CPU; TF32 or bf16 may flip a borderline
    image or two, not more."""
    model = create_vit("vit_mnist_patch4_28", pretrained=True).to(DEVICE)
    with torch.autocast(DEVICE, dtype=torch.bfloat16, enabled=autocast):
        result = evaluate(model, (mnist.x_test, mnist.y_test))
    on_cpu = evaluate(create_vit("vit_mnist_patch4_28", pretrained=True),
                      (mnist.x_test, mnist.y_test))
    correct = int((result["predictions"] == result["labels"]).sum())
    assert correct >= 983, correct
    changed = int((result["predictions"] != on_cpu["predictions"]).sum())
    assert changed <= 3, changed


def test_explain_tools_on_the_gpu(mnist, no_tf32):
    model = create_vit("vit_mnist_patch4_28", pretrained=True)
    images = mnist.x_test[:8]
    maps_cpu = attention_maps(model, images)
    maps_gpu = attention_maps(model.to(DEVICE), images.to(DEVICE))
    assert maps_gpu.device.type == DEVICE
    assert (maps_gpu.cpu() - maps_cpu).abs().max() < 1e-5
    for fusion in ("mean", "max", "min"):
        roll_gpu = attention_rollout(maps_gpu, head_fusion=fusion,
                                     discard_ratio=0.5)
        roll_cpu = attention_rollout(maps_cpu, head_fusion=fusion,
                                     discard_ratio=0.5)
        assert (roll_gpu.cpu() - roll_cpu).abs().max() < 1e-5
    dist_gpu = mean_attention_distance(maps_gpu, patch_size=4)
    dist_cpu = mean_attention_distance(maps_cpu, patch_size=4)
    assert (dist_gpu.cpu() - dist_cpu).abs().max() < 1e-4


def test_attribution_maps_on_the_gpu(mnist, no_tf32):
    """Every map of a model on the GPU, from images on the CPU: CPU float32
    maps equal to the CPU model's; the curves and randomize too."""
    model = create_vit("vit_mnist_patch4_28", pretrained=True)
    on_gpu = create_vit("vit_mnist_patch4_28", pretrained=True).to(DEVICE)
    images, labels = mnist.x_test[:8], mnist.y_test[:8]
    for name, method in ATTRIBUTIONS.items():
        want, got = method(model, images, labels), method(on_gpu, images, labels)
        assert got.device.type == "cpu" and got.dtype == torch.float32, name
        assert torch.allclose(got, want, atol=1e-4, rtol=1e-3), name
    maps = ATTRIBUTIONS["occlusion"](model, images, labels)
    assert torch.allclose(deletion_curve(on_gpu, images, maps, labels),
                          deletion_curve(model, images, maps, labels), atol=1e-5)
    shuffled = randomize(on_gpu, 0, seed=1)
    assert next(shuffled.parameters()).device.type == DEVICE
    assert torch.equal(shuffled.embed.pos_embed, on_gpu.embed.pos_embed)


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def test_fit_learns_on_the_gpu_with_bf16(digits):
    torch.manual_seed(0)
    model = create_vit("vit_digits_patch4_8")
    history = fit(model, (digits.x_train, digits.y_train),
                  eval_data=(digits.x_test, digits.y_test), epochs=15,
                  batch_size=64, lr=1.5e-3, warmup_epochs=2, amp=True,
                  augment=random_shift(0.5), device=DEVICE, progress=False)
    assert next(model.parameters()).device.type == DEVICE
    assert all(math.isfinite(v) for v in history["train_loss"])
    # 10 classes: chance is 10%; fifteen epochs reach well above 80% on the CPU
    assert history["eval_accuracy"][-1] > 0.8, history["eval_accuracy"]


def test_resume_on_the_gpu_is_exact(digits, tmp_path):
    "The random state of the GPU (augmentation runs there) is saved and restored."
    data = (digits.x_train[:256], digits.y_train[:256])
    run = dict(epochs=4, batch_size=64, lr=3e-3, warmup_epochs=1,
               progress=False, device=DEVICE)

    def model(seed=0):
        torch.manual_seed(seed)
        return create_vit("vit_digits_patch2_8", dim=32, depth=2, heads=2,
                          mlp_dim=64)

    whole = model()
    fit(whole, data, augment=random_shift(1), **run)
    crash_in_epoch_3 = interrupted_after(9, random_shift(1))  # 4 steps an epoch

    path = tmp_path / "run.safetensors"
    with pytest.raises(KeyboardInterrupt):
        fit(model(), data, augment=crash_in_epoch_3, checkpoint=path, **run)
    resumed = model(seed=9)
    fit(resumed, data, augment=random_shift(1), resume=path, **run)
    for p, q in zip(whole.parameters(), resumed.parameters()):
        # atomics in the backward pass may differ in the last bits; a lost
        # random state would differ by far more
        assert torch.allclose(p, q, atol=1e-4)


def test_data_parallel_trains_on_its_gpu_and_refuses_the_cpu(digits):
    if DEVICE != "cuda":
        pytest.skip("nn.DataParallel without GPUs wraps nothing")
    data = (digits.x_train[:64], digits.y_train[:64])
    torch.manual_seed(0)
    model = nn.DataParallel(create_vit("vit_digits_patch2_8", dim=32, depth=2,
                                       heads=2, mlp_dim=64))
    with pytest.raises(ValueError, match=r"nn.DataParallel over GPUs \[0.*"
                       r"device='cpu'.*device='cuda:0'.*model.module"):
        fit(model, data, epochs=1, progress=False, device="cpu")
    fit(model, data, epochs=1, progress=False, device="cuda")
    assert next(model.parameters()).is_cuda
