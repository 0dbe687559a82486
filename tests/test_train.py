"""vit_lit.train: random shifts, the schedule, evaluate, fit (determinism, data
kinds, time budget, exact resume, bad input)."""
import json
import math
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from conftest import interrupted_after
from vit_lit.checkpoint import load_checkpoint
from vit_lit.data import load_digits_split
from vit_lit.model import create_vit
from vit_lit.train import (evaluate, fit, random_shift, shift_images, top_classes,
                            warmup_cosine)

TINY = dict(dim=32, depth=1, heads=2, mlp_dim=64)
FAST = dict(batch_size=64, lr=3e-3, warmup_epochs=1, progress=False,
            device="cpu")


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return create_vit("vit_digits_patch2_8", **TINY)


def test_shift_images_whole_pixels_equal_padding_and_cropping():
    torch.manual_seed(0)
    images = torch.rand(6, 2, 5, 7)
    padded = F.pad(images, (2, 2, 2, 2))
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            offsets = torch.tensor([[float(dy), float(dx)]]).expand(6, 2)
            out = shift_images(images, offsets)
            # moving down by dy reads the input dy rows higher
            want = padded[:, :, 2 - dy:7 - dy, 2 - dx:9 - dx]
            assert torch.allclose(out, want, atol=1e-6), (dy, dx)


def test_shift_images_by_hand():
    image = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    down = shift_images(image, torch.tensor([[1.0, 0.0]]))
    assert torch.allclose(down[0, 0], torch.tensor(
        [[0.0, 0, 0], [1, 2, 3], [4, 5, 6]]), atol=1e-6)
    # half a pixel to the right: each pixel is the mean of itself and its
    # left neighbour (zero outside the image)
    half = shift_images(image, torch.tensor([[0.0, 0.5]]))
    assert torch.allclose(half[0, 0], torch.tensor(
        [[0.5, 1.5, 2.5], [2.0, 4.5, 5.5], [3.5, 7.5, 8.5]]), atol=1e-6)
    # a quarter pixel up: 3/4 of the pixel itself, 1/4 of the one below
    up = shift_images(image, torch.tensor([[-0.25, 0.0]]))
    want = 0.75 * image[0, 0] + 0.25 * torch.tensor(
        [[4.0, 5, 6], [7, 8, 9], [0, 0, 0]])
    assert torch.allclose(up[0, 0], want, atol=1e-6)


def test_random_shift_draws_offsets_within_the_bound():
    images = torch.rand(500, 1, 8, 8)
    torch.manual_seed(0)
    out = random_shift(0.5)(images)
    torch.manual_seed(0)
    offsets = (torch.rand(500, 2) * 2 - 1) * 0.5
    assert torch.allclose(out, shift_images(images, offsets), atol=1e-6)
    assert offsets.abs().max() <= 0.5 and offsets.abs().max() > 0.45
    assert not torch.allclose(out, images)
    assert torch.equal(random_shift(0)(images), images)


@pytest.mark.parametrize("bad", [-1, -0.5, math.inf, math.nan, True, "1"])
def test_random_shift_bad_max_shift(bad):
    with pytest.raises(ValueError, match="max_shift"):
        random_shift(bad)


def test_random_shift_bad_batch():
    with pytest.raises(ValueError, match=r"\(B, C, H, W\), got \(1, 8, 8\)"):
        random_shift(1)(torch.zeros(1, 8, 8))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\), got list"):
        random_shift(1)([1, 2])


def test_shift_images_bad_offsets():
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*got \(2,\)"):
        shift_images(torch.zeros(2, 1, 8, 8), torch.zeros(2))


def test_warmup_cosine_by_hand():
    assert warmup_cosine(0, 100, 10) == pytest.approx(0.1)
    assert warmup_cosine(9, 100, 10) == pytest.approx(1.0)
    assert warmup_cosine(10, 100, 10) == pytest.approx(1.0)
    assert warmup_cosine(55, 100, 10) == pytest.approx(0.5)
    assert warmup_cosine(100, 100, 10) == pytest.approx(0.0)
    assert warmup_cosine(40, None, 10) == 1.0
    assert warmup_cosine(25, 100, 0) == pytest.approx(
        0.5 * (1 + math.cos(math.pi * 0.25)))


class Fixed(nn.Module):
    "Logits that depend only on the first pixel: class = round(pixel)."
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return F.one_hot(x[:, 0, 0, 0].round().long(), 3).float() * 2 + self.w


def test_evaluate_by_hand():
    images = torch.zeros(5, 1, 2, 2)
    images[:, 0, 0, 0] = torch.tensor([0.0, 1, 2, 2, 1])
    labels = torch.tensor([0, 1, 2, 0, 0])
    out = evaluate(Fixed(), (images, labels), batch_size=2)
    assert out["accuracy"] == pytest.approx(3 / 5)
    right = -math.log(math.exp(2) / (math.exp(2) + 2))
    wrong = -math.log(1 / (math.exp(2) + 2))
    assert out["loss"] == pytest.approx((3 * right + 2 * wrong) / 5)
    assert out["predictions"].tolist() == [0, 1, 2, 2, 1]
    assert out["labels"].tolist() == labels.tolist()


def test_evaluate_restores_training_mode(digits):
    model = tiny_model().train()
    evaluate(model, (digits.x_test, digits.y_test))
    assert model.training


def test_evaluate_leaves_the_random_state_alone(digits):
    """A DataLoader's iterator draws from torch's random state; evaluating at
    a budget's stop, before the checkpoint, must not move it."""
    loader = DataLoader(TensorDataset(digits.x_test, digits.y_test),
                        batch_size=100)
    model = tiny_model()
    before = torch.get_rng_state()
    evaluate(model, loader)
    assert torch.equal(torch.get_rng_state(), before)


def test_fit_is_deterministic_and_learns(digits):
    data = (digits.x_train, digits.y_train)
    runs = [fit(tiny_model(), data, epochs=6, seed=1, **FAST,
                eval_data=(digits.x_test, digits.y_test),
                augment=random_shift(1)) for _ in range(2)]
    a, b = runs
    assert a == {**b, "seconds": a["seconds"]}
    assert set(a) == {"epoch", "train_loss", "train_accuracy", "eval_loss",
                      "eval_accuracy", "lr", "seconds"}
    assert a["epoch"] == [1, 2, 3, 4, 5, 6]
    assert a["train_loss"][-1] < a["train_loss"][0] - 0.05
    assert a["eval_accuracy"][-1] > a["eval_accuracy"][0]
    assert a["lr"][0] == pytest.approx(3e-3)           # end of the warm-up
    assert 0 < a["lr"][-1] < 1e-5  # the last step, at the end of the cosine


def test_fit_data_kinds_agree(digits):
    x, y = digits.x_train[:300], digits.y_train[:300]
    kw = dict(epochs=1, seed=3, **FAST)
    tup = fit(tiny_model(), (x, y), **kw)
    ds = fit(tiny_model(), TensorDataset(x, y), **kw)
    assert tup["train_loss"] == ds["train_loss"]
    loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True)
    hist = fit(tiny_model(), loader, **kw)
    assert len(hist["train_loss"]) == 1 and math.isfinite(hist["train_loss"][0])


def test_fit_time_budget(digits):
    import time
    start = time.perf_counter()
    hist = fit(tiny_model(), (digits.x_train[:256], digits.y_train[:256]),
               time_budget=3, **FAST)
    took = time.perf_counter() - start
    assert len(hist["epoch"]) >= 1
    assert hist["seconds"][-1] >= 3 or hist["lr"][-1] < 1e-3
    assert took < 3 + 60  # stops (generous: the machine may be busy)


def test_resume_gives_the_losses_of_an_uninterrupted_run(digits, tmp_path):
    data = (digits.x_train[:400], digits.y_train[:400])
    kw = dict(epochs=4, seed=5, **FAST)
    whole = tiny_model()
    full = fit(whole, data, augment=random_shift(1),
               checkpoint=tmp_path / "full.safetensors", **kw)

    crash_after_15_steps = interrupted_after(15, random_shift(1))  # 7 steps an epoch: epoch 3

    path = tmp_path / "run.safetensors"
    with pytest.raises(KeyboardInterrupt):
        fit(tiny_model(), data, augment=crash_after_15_steps, checkpoint=path,
            **kw)
    assert load_checkpoint(path).step == 14  # saved after epoch 2
    resumed_model = tiny_model(seed=99)  # any weights: the checkpoint's win
    resumed = fit(resumed_model, data, augment=random_shift(1), resume=path,
                  **kw)
    assert resumed["train_loss"] == full["train_loss"]
    assert resumed["epoch"] == [1, 2, 3, 4]
    for (name, p), q in zip(whole.state_dict().items(),
                            resumed_model.state_dict().values()):
        assert torch.equal(p, q), name


def test_resume_refuses_another_configuration(digits, tmp_path):
    path = tmp_path / "a.safetensors"
    data = (digits.x_train[:64], digits.y_train[:64])
    fit(tiny_model(), data, epochs=1, checkpoint=path, **FAST)
    other = create_vit("vit_digits_patch2_8", **{**TINY, "depth": 2})
    with pytest.raises(ValueError, match="another configuration.*depth: 1 in "
                       "the checkpoint, 2 in the model"):
        fit(other, data, epochs=2, resume=path, **FAST)


def test_fit_bad_arguments(digits):
    data = (digits.x_train[:10], digits.y_train[:10])
    with pytest.raises(ValueError, match="exactly one of epochs or time_budget"):
        fit(tiny_model(), data, **FAST)
    with pytest.raises(ValueError, match="exactly one of epochs or time_budget"):
        fit(tiny_model(), data, epochs=1, time_budget=5, **FAST)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit(tiny_model(), data, epochs=0, **FAST)
    with pytest.raises(ValueError, match="time_budget must be a positive"):
        fit(tiny_model(), data, time_budget=-1, **FAST)
    with pytest.raises(ValueError, match="10 images but 9 labels"):
        fit(tiny_model(), (data[0], data[1][:9]), epochs=1, **FAST)
    with pytest.raises(ValueError, match="labels must be a 1-D integer"):
        fit(tiny_model(), (data[0], data[1].float()), epochs=1, **FAST)
    with pytest.raises(TypeError, match="train_data must be a Dataset"):
        fit(tiny_model(), data[0], epochs=1, **FAST)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_fit_on_cuda_with_bf16(digits):
    model = tiny_model()
    hist = fit(model, (digits.x_train, digits.y_train), epochs=2, amp=True,
               **{**FAST, "device": "cuda"})
    assert next(model.parameters()).is_cuda
    assert all(math.isfinite(v) for v in hist["train_loss"])


@pytest.mark.parametrize("own_generator", [False, True])
def test_resume_with_a_shuffled_dataloader_is_exact(digits, tmp_path,
                                                    own_generator):
    """Restoring the random state must not be followed by an extra draw; a
    DataLoader that shuffles with its own generator gets its state back."""
    x, y = digits.x_train[:256], digits.y_train[:256]

    def loader():  # as a new process builds it
        g = torch.Generator().manual_seed(7) if own_generator else None
        return DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True,
                          generator=g)

    kw = dict(epochs=4, seed=2, **FAST)
    whole = fit(tiny_model(), loader(), augment=random_shift(1), **kw)
    crash_in_epoch_3 = interrupted_after(9, random_shift(1))  # 4 steps an epoch

    path = tmp_path / "run.safetensors"
    with pytest.raises(KeyboardInterrupt):
        fit(tiny_model(), loader(), augment=crash_in_epoch_3, checkpoint=path,
            **kw)
    assert load_checkpoint(path).step == 8
    resumed = fit(tiny_model(seed=9), loader(), augment=random_shift(1),
                  resume=path, **kw)
    assert resumed["train_loss"] == whole["train_loss"]


def test_resume_with_nothing_left_writes_nothing(digits, tmp_path):
    data = (digits.x_train[:64], digits.y_train[:64])
    path, other = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    first = fit(tiny_model(), data, epochs=2, checkpoint=path, **FAST)
    again = fit(tiny_model(), data, epochs=2, checkpoint=other, resume=path,
                **FAST)
    assert again == first and not other.exists()


class StepClock:
    "A clock for fit that moves 10 ms each time it is read: budgets in steps, not in load."
    now = 0.0

    @classmethod
    def perf_counter(cls) -> float:
        cls.now += 0.01
        return cls.now


def test_a_larger_time_budget_on_resume_trains_the_difference(digits, tmp_path,
                                                              monkeypatch):
    # on a shared machine the real clock made this flaky (2.26 s of a 3 s budget, the schedule
    # sized from a slower start); a clock that counts reads gives the same run every time
    monkeypatch.setattr("vit_lit.train.time", StepClock)
    data = (digits.x_train[:128], digits.y_train[:128])
    path = tmp_path / "a.safetensors"
    first = fit(tiny_model(), data, time_budget=1, checkpoint=path, **FAST)
    state = load_checkpoint(path)
    assert state.training["time_budget"] == 1
    more = fit(tiny_model(), data, time_budget=3, checkpoint=path,
               resume=path, **FAST)
    assert more["epoch"][-1] > first["epoch"][-1]
    assert more["seconds"][-1] >= 2.5 or more["lr"][-1] < 1e-4
    assert load_checkpoint(path).step > state.step
    same = fit(tiny_model(), data, time_budget=2, resume=path, **FAST)
    assert same == more  # a budget already spent trains nothing


def test_checkpoint_of_a_compiled_model_has_the_model_names(digits, tmp_path):
    data = (digits.x_train[:64], digits.y_train[:64])
    model = tiny_model()
    compiled = torch.compile(model)  # not run: only its names matter here
    path = tmp_path / "c.safetensors"
    from vit_lit.checkpoint import load_model, save_checkpoint
    save_checkpoint(path, compiled)
    assert set(load_checkpoint(path).model) == set(model.state_dict())
    load_model(path)
    wrapped = nn.DataParallel(model)  # over every GPU there is, or none
    gpu = "cuda:0" if torch.cuda.is_available() else "cpu"
    fit(wrapped, data, epochs=1, checkpoint=path, **{**FAST, "device": gpu})
    assert set(load_checkpoint(path).model) == set(model.state_dict())


def test_fit_clear_errors(digits, tmp_path):
    data = (digits.x_train[:10], digits.y_train[:10])
    weights = tmp_path / "w.safetensors"
    from vit_lit.checkpoint import save_checkpoint
    save_checkpoint(weights, tiny_model())
    with pytest.raises(ValueError, match="holds weights only, no optimiser "
                       "state.*load_model"):
        fit(tiny_model(), data, epochs=2, resume=weights, **FAST)
    with pytest.raises(ValueError, match="train_data is empty"):
        fit(tiny_model(), (data[0][:0], data[1][:0]), epochs=1, **FAST)

    class Dicts(torch.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"pixel_values": torch.zeros(1, 8, 8), "label": 0}

    with pytest.raises(TypeError, match=r"train_data must give \(images, "
                       r"labels\) pairs of tensors, got a dict with keys "
                       r"\['label', 'pixel_values'\]"):
        fit(tiny_model(), DataLoader(Dicts(), batch_size=2), epochs=1, **FAST)
    with pytest.raises(ValueError, match="time_budget must be a positive, "
                       "finite"):
        fit(tiny_model(), data, time_budget=math.inf, **FAST)
    with pytest.raises(ValueError, match="unknown device 'gpu'; use one of: "
                       "cpu"):
        fit(tiny_model(), data, epochs=1, **{**FAST, "device": "gpu"})
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device 'cuda' is not "
                           "available: torch sees 0 CUDA GPU"):
            fit(tiny_model(), data, epochs=1, **{**FAST, "device": "cuda"})
    with pytest.raises(ValueError, match="is a folder; give a file name"):
        fit(tiny_model(), data, epochs=1, checkpoint=tmp_path, **FAST)


class Pairs(Dataset):
    """(image, label) pairs that are not tensors in memory, as a folder gives: not a
    TensorDataset, so its labels are seen batch by batch."""
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def budget_stop_data(kind, x, y):
    "A fresh copy of the training data, as a new process would build it."
    if kind == "shuffled DataLoader":
        return DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    if kind == "DataLoader with its own generator":
        return DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True,
                          generator=torch.Generator().manual_seed(7))
    return Pairs(x, y) if kind == "Dataset" else (x, y)


@pytest.mark.parametrize("kind", ["shuffled DataLoader",
                                  "DataLoader with its own generator",
                                  "Dataset", "tensors"])
def test_a_budget_stop_within_an_epoch_resumes_exactly(digits, tmp_path,
                                                       monkeypatch, kind):
    """A time budget stops a run in the middle of an epoch; resumed from its
    checkpoint, the run takes the rest of that epoch's order and ends with
    the weights and losses of a run that never stopped."""
    x, y = digits.x_train[:256], digits.y_train[:256]  # 4 steps an epoch
    # 12 warm-up steps outlast the stopped part, so its learning rates do not
    # depend on the length of the schedule (from a budget or from epochs)
    kw = dict(seed=2, **{**FAST, "warmup_epochs": 3})
    whole = tiny_model()
    full = fit(whole, budget_stop_data(kind, x, y), epochs=4,
               augment=random_shift(1), **kw)

    clock, shift = [0.0], random_shift(1)

    def slow_from_step_6(images):  # 1 s a step, then the budget is spent
        clock[0] += 1 if clock[0] < 5 else 1000
        return shift(images)

    monkeypatch.setattr(time, "perf_counter", lambda: clock[0])
    path = tmp_path / "run.safetensors"
    stopped = fit(tiny_model(), budget_stop_data(kind, x, y), time_budget=100,
                  augment=slow_from_step_6, checkpoint=path, **kw)
    monkeypatch.undo()
    assert load_checkpoint(path).step == 6  # 2 of epoch 2's 4 batches done

    resumed_model = tiny_model(seed=9)
    resumed = fit(resumed_model, budget_stop_data(kind, x, y), epochs=4,
                  augment=random_shift(1), resume=path, **kw)
    for (name, p), q in zip(whole.state_dict().items(),
                            resumed_model.state_dict().values()):
        assert torch.equal(p, q), name
    assert stopped["epoch"] == [1, 1.5]  # the history says where it stopped
    assert resumed["epoch"] == [1, 2, 3, 4]  # the half epoch is completed
    assert resumed["train_loss"] == full["train_loss"]
    assert resumed["train_accuracy"] == full["train_accuracy"]


def test_a_checkpoint_without_the_epochs_place_still_resumes(digits,
                                                              tmp_path,
                                                              monkeypatch):
    "Files written before epoch_rng and epoch_sums existed load and resume."
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    x, y = digits.x_train[:256], digits.y_train[:256]
    clock = [0.0]

    def slow_from_step_6(images):
        clock[0] += 1 if clock[0] < 5 else 1000
        return images

    monkeypatch.setattr(time, "perf_counter", lambda: clock[0])
    path = tmp_path / "new.safetensors"
    fit(tiny_model(), (x, y), time_budget=100, augment=slow_from_step_6,
        checkpoint=path, **FAST)
    monkeypatch.undo()
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    training = json.loads(meta["training"])
    assert len(training.pop("epoch_sums")) == 3
    meta = {**meta, "training": json.dumps(training)}
    del meta["sha256"]  # older still: no checksum either
    tensors = {k: v for k, v in load_file(path).items()
               if not k.startswith("rng.epoch.")}
    old = tmp_path / "old.safetensors"
    save_file(tensors, old, metadata=meta)
    state = load_checkpoint(old)
    assert state.epoch_rng == {} and state.step == 6
    resumed = fit(tiny_model(), DataLoader(TensorDataset(x, y), batch_size=64,
                                           shuffle=True),
                  epochs=3, resume=old, **FAST)
    assert resumed["epoch"] == [1, 2, 3]  # epoch 2's entry completed


def test_fit_stores_class_names(digits, tmp_path):
    "classes= names the outputs in the checkpoint; a wrong count or a string is refused (issue 33, item 3)."
    names = [f"digit {i}" for i in range(10)]
    ckpt = tmp_path / "named.safetensors"
    fit(tiny_model(), (digits.x_train[:64], digits.y_train[:64]), epochs=1, checkpoint=ckpt, classes=names, **FAST)
    assert load_checkpoint(ckpt).training["classes"] == names
    for bad, words in [(names[:3], "classes has 3 names but the model has 10 outputs"),
                       ("0123456789", "classes must be a list of distinct class names"),
                       (["a"] * 10, "classes must be a list of distinct class names")]:
        with pytest.raises(ValueError, match=words):
            fit(tiny_model(), (digits.x_train[:64], digits.y_train[:64]), epochs=1, classes=bad, **FAST)


def test_resume_refuses_what_would_miscount_and_warns_on_other_settings(digits, tmp_path):
    """Another batch size, dataset size or seed would miscount the progress (4 epochs at batch 64 resumed at
    batch 16 read as 1): refused; another lr or augmentation: a warning, and the run goes on (issue 33, item 2)."""
    ckpt = tmp_path / "a.safetensors"
    x, y = digits.x_train[:96], digits.y_train[:96]
    run = {**FAST, "batch_size": 32}
    fit(tiny_model(), (x, y), epochs=1, checkpoint=ckpt, augment=random_shift(0.5), **run)
    for data, change, words in [((x, y), dict(batch_size=16), "the batch size was 32, now 16"),
                                ((x[:64], y[:64]), {}, "the dataset's size was 96, now 64"),
                                ((x, y), dict(seed=1), "the seed was 0, now 1")]:
        with pytest.raises(ValueError, match=f"cannot resume '{ckpt}': {words}; .* resume with the same settings"):
            fit(tiny_model(), data, epochs=2, resume=ckpt, augment=random_shift(0.5), **{**run, **change})
    with pytest.warns(UserWarning, match=r"lr was 0.003, now 0.001; augment was 'random_shift\(0.5\)', now 'none'"):
        history = fit(tiny_model(), (x, y), epochs=2, resume=ckpt, **{**run, "lr": 1e-3})
    assert history["epoch"] == [1, 2]


def test_fit_leaves_the_callers_random_state_and_the_models_mode(digits):
    "fit reseeded torch's global generator and left the model in eval mode (issue 33, rough edges)."
    data = (digits.x_train[:64], digits.y_train[:64])
    for mode in (True, False):
        model = tiny_model().train(mode)
        torch.manual_seed(5)
        expected = torch.rand(3)
        torch.manual_seed(5)
        fit(model, data, epochs=1, augment=random_shift(0.5), **FAST)
        assert torch.equal(torch.rand(3), expected)
        assert model.training is mode


def test_labels_without_an_output_are_a_clear_error(digits):
    "A label of 10 for a 10-class model was a raw IndexError (issue 33, rough edges)."
    x, y = digits.x_train[:64], digits.y_train[:64].clone()
    y[5] = 10
    words = "train_data has labels from 0 to 10, but the model has 10 outputs .* num_classes=11"
    with pytest.raises(ValueError, match=words):
        fit(tiny_model(), (x, y), epochs=1, **FAST)
    with pytest.raises(ValueError, match=words):
        fit(tiny_model(), Pairs(x, y), epochs=1, **FAST)
    with pytest.raises(ValueError, match="data has labels from 0 to 10"):
        evaluate(tiny_model(), (x, y))


def test_top_classes():
    "Each image's most probable classes, named, in order; the model keeps its mode."
    model, digits = tiny_model(), load_digits_split()
    images = digits.x_test[:4]
    model.train()
    top = top_classes(model, images, k=3, classes=list("abcdefghij"))
    assert model.training
    with torch.no_grad():
        probs = model.eval()(images).softmax(-1)
    for pairs, p in zip(top, probs):
        values, indices = p.topk(3)
        assert [name for name, _ in pairs] == ["abcdefghij"[i] for i in indices]
        assert [v for _, v in pairs] == pytest.approx(values.tolist(), abs=1e-6)
    assert [name for name, _ in top_classes(model, images[:1], k=1)[0]] == [str(int(probs[0].argmax()))]
    assert len(top_classes(model, images[:1], k=50)[0]) == 10


@pytest.mark.parametrize("kw,match", [
    (dict(k=0), r"k must be a positive integer, got 0"),
    (dict(k=2.0), r"k must be a positive integer, got 2.0"),
    (dict(classes=["a", "b"]), r"2 class names for a model with 10 outputs; give one name per"),
])
def test_top_classes_refuses(kw, match):
    with pytest.raises(ValueError, match=match):
        top_classes(tiny_model(), load_digits_split().x_test[:1], **kw)
