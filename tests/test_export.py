"Export of a ViT: torch.export with a dynamic batch size, and ONNX run by onnxruntime."
import pytest
import torch
from torch.export import Dim

from vit_lit import ViT

SMALL = dict(image_size=8, patch_size=2, num_classes=5, channels=1, dim=16, depth=2, heads=2,
             mlp_dim=32)


def small() -> ViT:
    torch.manual_seed(0)
    return ViT(**SMALL).eval()


def images(b: int) -> torch.Tensor:
    return torch.rand(b, 1, 8, 8, generator=torch.Generator().manual_seed(b))


BATCH = {"images": {0: Dim("batch", min=1, max=1024)}}


def test_torch_export_with_a_dynamic_batch_size():
    vit = small()
    # failed before: len(tokens) in prepend_cls_token fixed the batch size at 2
    program = torch.export.export(vit, (images(2),), dynamic_shapes=BATCH)
    for b in (1, 2, 7):
        torch.testing.assert_close(program.module()(images(b)), vit(images(b)),
                                   atol=1e-6, rtol=0)


def test_onnx_export_runs_in_onnxruntime_at_any_batch_size(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    vit, path = small(), tmp_path / "vit.onnx"
    torch.onnx.export(vit, (images(2),), path, dynamo=True, input_names=["images"],
                      output_names=["logits"], dynamic_shapes=BATCH, verbose=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for b in (1, 5):
        logits, = session.run(["logits"], {"images": images(b).numpy()})
        with torch.no_grad():
            expected = vit(images(b))
        torch.testing.assert_close(torch.from_numpy(logits), expected, atol=1e-4, rtol=0)
