import pytest
import torch

from vit_lit import patchify, unpatchify


@pytest.mark.parametrize("shape,p", [((2, 3, 224, 224), 16), ((4, 1, 8, 8), 4), ((1, 3, 32, 48), 8), ((3, 2, 6, 6), 1)])
def test_round_trip(shape, p):
    images = torch.randn(shape)
    patches = patchify(images, p)
    b, c, h, w = shape
    assert patches.shape == (b, (h // p) * (w // p), p * p * c)
    assert torch.equal(unpatchify(patches, p, grid=(h // p, w // p)), images)


def test_values_follow_row_major_patches_and_p1_p2_c_order():
    images = torch.randn(2, 3, 12, 8)
    p = 4
    patches = patchify(images, p)
    for b, k, i, j, c in [(0, 0, 0, 0, 0), (1, 5, 3, 2, 1), (0, 3, 1, 3, 2)]:
        r, s = divmod(k, 8 // p)
        assert patches[b, k, (i * p + j) * 3 + c] == images[b, c, r * p + i, s * p + j]


def test_tiny_example_by_hand():
    rows = patchify(torch.arange(16.0).reshape(1, 1, 4, 4), 2)[0]
    assert rows.tolist() == [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]


def test_gradients_flow_through():
    images = torch.randn(1, 3, 8, 8, requires_grad=True)
    patchify(images, 4).sum().backward()
    assert torch.equal(images.grad, torch.ones_like(images))


@pytest.mark.parametrize(
    "make,error,words",
    [
        (lambda: patchify(torch.rand(3, 32, 32), 4), ValueError, ["(B, C, H, W)", "(3, 32, 32)", "unsqueeze(0)"]),
        (lambda: patchify(torch.rand(1, 3, 30, 32), 4), ValueError, ["height 30", "not divisible by patch_size 4", "multiple of 4"]),
        (lambda: patchify(torch.rand(1, 3, 32, 30), 4), ValueError, ["width 30"]),
        (lambda: patchify(torch.rand(1, 3, 32, 32), 0), ValueError, ["positive integer", "got 0"]),
        (lambda: patchify(torch.rand(1, 3, 32, 32), -4), ValueError, ["got -4"]),
        (lambda: patchify(torch.rand(1, 3, 32, 32), 2.0), ValueError, ["got 2.0"]),
        (lambda: patchify(torch.zeros(1, 3, 32, 32, dtype=torch.uint8), 4), TypeError, ["floating-point", "torch.uint8", ".float()"]),
        (lambda: patchify(torch.zeros(1, 3, 32, 32, dtype=torch.long), 4), TypeError, ["torch.int64"]),
        (lambda: patchify([[1.0]], 4), ValueError, ["got list"]),
        (lambda: unpatchify(torch.rand(1, 5, 48), 4), ValueError, ["do not form a square grid", "grid="]),
        (lambda: unpatchify(torch.rand(1, 4, 50), 4), ValueError, ["50 values", "patch_size**2 = 16"]),
        (lambda: unpatchify(torch.rand(1, 6, 48), 4, grid=(2, 2)), ValueError, ["holds 4 patches but got 6"]),
        (lambda: unpatchify(torch.rand(6, 48), 4), ValueError, ["(B, n, p*p*C)"]),
    ],
)
def test_bad_input_names_problem_and_fix(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value)
