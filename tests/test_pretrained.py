"""The trained weights that ship inside the package (vit_lit/weights/, made by tools/make_weights.py)."""
import json

import pytest
import torch
from safetensors import safe_open

from vit_lit.data import load_mnist_split
from vit_lit.model import PRESETS, create_vit, weights_path
from vit_lit.train import evaluate

NAME = "vit_mnist_patch4_28"


def test_shipped_model_reaches_its_target_on_the_held_out_digits():
    model = create_vit(NAME, pretrained=True)
    assert not model.training
    data = load_mnist_split()
    result = evaluate(model, (data.x_test, data.y_test))
    correct = int((result["predictions"] == data.y_test).sum())
    assert correct >= 985, f"{correct} of 1,000 held-out digits right; the target is 985"
    accuracy = correct / 1000
    with safe_open(weights_path(NAME), "pt") as f:
        meta = f.metadata()
    # the metadata tells the truth about the file: same accuracy, same configuration
    assert abs(float(meta["test_accuracy"]) - accuracy) < 1e-3
    assert json.loads(meta["config"]) == model.config
    assert meta["made_by"] == "tools/make_weights.py" and int(meta["train_seconds"]) > 0
    # the recipe in the file is the script's: running the script again makes these weights
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from make_weights import RECIPE
    assert json.loads(meta["recipe"]) == RECIPE


def test_shipped_config_matches_the_preset():
    model = create_vit(NAME, pretrained=True)
    assert {k: model.config[k] for k in PRESETS[NAME]} == PRESETS[NAME]
    assert model.embed.patch_embed.grid == (7, 7)
    fresh = create_vit(NAME)
    assert fresh.state_dict().keys() == model.state_dict().keys()
    assert not torch.equal(fresh.head.weight, model.head.weight)


def test_shipped_weights_are_small_package_data():
    path = weights_path(NAME)
    assert path.parent.name == "weights" and path.parent.parent.name == "vit_lit"
    assert path.stat().st_size < 2_000_000


def test_fused_override_keeps_the_weights():
    a = create_vit(NAME, pretrained=True)
    b = create_vit(NAME, pretrained=True, fused=False)
    x = load_mnist_split().x_test[:4]
    with torch.no_grad():
        assert torch.allclose(a(x), b(x), atol=1e-5)


def test_preset_without_weights_is_refused_with_the_list():
    with pytest.raises(ValueError, match=r"'vit_digits_patch4_8' has no shipped weights.*"
                                         r"vit_mnist_patch4_28"):
        create_vit("vit_digits_patch4_8", pretrained=True)


def test_shape_overrides_with_pretrained_are_refused():
    with pytest.raises(ValueError, match="num_classes cannot be overridden"):
        create_vit(NAME, pretrained=True, num_classes=3)


@pytest.mark.parametrize("n", [-1, 4000])
def test_recipe_validation_split_refuses_impossible_sizes(n):
    # tools/make_weights.py --validation N chooses a recipe on N training digits, never on the
    # test digits; an N that leaves nothing to train on or to validate is refused by name
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from make_weights import RECIPE, validate
    with pytest.raises(SystemExit, match=f"--validation {n}: pick 0 < N < 4000"):
        validate(RECIPE, load_mnist_split(), n)


# ---- the input contract travels with the weights (issue 33, item 4)
def test_shipped_model_carries_its_input_contract_for_timm():
    "timm's resolve_data_config returned ImageNet's size, mean and std before."
    from timm.data import resolve_data_config

    model = create_vit(NAME, pretrained=True)
    config = resolve_data_config(model=model)
    assert config["input_size"] == (1, 28, 28)
    assert config["mean"] == (0.0,) and config["std"] == (1.0,)
    assert model.pretrained_cfg["input_range"] == (0.0, 1.0)
    with safe_open(weights_path(NAME), "pt") as f:
        saved = json.loads(f.metadata()["pretrained_cfg"])
    assert saved == json.loads(json.dumps(model.pretrained_cfg))


def test_pixels_far_outside_the_trained_range_warn_once():
    import warnings

    data = load_mnist_split()
    digits = data.x_test[:8]
    model = create_vit(NAME, pretrained=True)
    with pytest.warns(UserWarning, match=r"range over \[0, 255\] .* trained on pixels in \[0, 1\]"):
        model(digits * 255)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model(digits * 255)  # once, not per batch
        create_vit(NAME, pretrained=True)(digits)  # pixels in [0, 1]: silent
        create_vit(NAME)(digits * 255)  # an untrained model has no range yet
    with pytest.warns(UserWarning, match="leave out Normalize"):  # torchvision's MNIST numbers
        create_vit(NAME, pretrained=True)((digits - 0.1307) / 0.3081)


def test_range_check_stays_out_of_torch_export():
    model = create_vit(NAME, pretrained=True)
    x = torch.rand(2, 1, 28, 28)
    exported = torch.export.export(model, (x * 255,))  # no data-dependent branch traced
    torch.testing.assert_close(exported.module()(x), model(x))
