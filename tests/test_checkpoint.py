"""vit_lit.checkpoint: safetensors only, round trips, atomic writes, clear
refusals of missing, truncated, foreign and mismatched files."""
import json
import os

import pytest
import torch
from safetensors.torch import save_file

from vit_lit.checkpoint import (check_config, check_writable,
                                load_checkpoint, load_model, save_checkpoint)
from vit_lit.model import ViT, create_vit

TINY = dict(dim=32, depth=1, heads=2, mlp_dim=64)


def tiny_model(**overrides):
    torch.manual_seed(0)
    return create_vit("vit_digits_patch2_8", **{**TINY, **overrides})


def trained_optimizer(model):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.8, 0.95))
    for _ in range(2):
        model(torch.rand(4, 1, 8, 8)).sum().backward()
        opt.step()
    return opt


def test_file_is_plain_safetensors_with_json_metadata(tmp_path):
    model = tiny_model()
    path = save_checkpoint(tmp_path / "m.safetensors", model, step=7,
                           history={"train_loss": [1.5]})
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])  # no pickle: a JSON header, raw tensors
    meta = header["__metadata__"]
    assert meta["format"] == "vit-lit-checkpoint"
    assert json.loads(meta["config"]) == model.config
    assert meta["step"] == "7"
    assert set(header) - {"__metadata__"} == {
        f"model.{k}" for k in model.state_dict()}


def test_load_model_in_one_line_gives_the_same_logits(tmp_path):
    model = tiny_model().eval()
    path = save_checkpoint(tmp_path / "m.safetensors", model)
    loaded = load_model(path)
    assert isinstance(loaded, ViT) and not loaded.training
    assert loaded.config == model.config
    x = torch.rand(3, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_optimizer_and_rng_round_trip(tmp_path):
    model = tiny_model()
    opt = trained_optimizer(model)
    torch.manual_seed(123)
    path = save_checkpoint(tmp_path / "m.safetensors", model, opt, step=2,
                           training={"total_steps": 10}, rng=True)
    expected_next = torch.rand(3)
    state = load_checkpoint(path)
    assert state.step == 2 and state.training == {"total_steps": 10}
    torch.set_rng_state(state.rng)
    assert torch.equal(torch.rand(3), expected_next)
    other = tiny_model()
    opt2 = torch.optim.AdamW(other.parameters(), lr=1e-3)
    opt2.load_state_dict(state.optimizer)
    a, b = opt.state_dict(), opt2.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert b["param_groups"][0]["betas"] == (0.8, 0.95)
    for i in a["state"]:
        for k in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(a["state"][i][k], b["state"][i][k])


def test_an_interrupted_write_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, tiny_model(), step=1)
    before = path.read_bytes()

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, tiny_model(dim=48), step=2)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint file at"):
        load_model(tmp_path / "nothing.safetensors")


@pytest.mark.parametrize("keep", [5, 100, -10])
def test_truncated_file(tmp_path, keep):
    path = save_checkpoint(tmp_path / "m.safetensors", tiny_model())
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(ValueError, match="not a readable checkpoint: it is "
                       "truncated, damaged, or not a safetensors file"):
        load_checkpoint(cut)


def test_file_that_is_not_safetensors(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are not weights\n" * 20)
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_model(path)


def test_safetensors_file_of_another_program(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(2, 2)}, path, metadata={"format": "pt"})
    with pytest.raises(ValueError, match="not a vit-lit checkpoint"):
        load_checkpoint(path)


def test_another_configuration_names_every_difference(tmp_path):
    path = save_checkpoint(tmp_path / "m.safetensors", tiny_model())
    other = tiny_model(dim=48, heads=4)
    with pytest.raises(ValueError, match=r"another configuration \(dim: 32 in "
                       r"the checkpoint, 48 in the model; heads: 2 in the "
                       r"checkpoint, 4 in the model\)"):
        check_config(load_checkpoint(path).config, other.config, path)


def test_model_without_config(tmp_path):
    with pytest.raises(TypeError, match="needs a model with a `config` dict"):
        save_checkpoint(tmp_path / "m.safetensors", torch.nn.Linear(2, 2))


def test_damaged_tensor_data_is_noticed(tmp_path):
    model = tiny_model()
    path = save_checkpoint(tmp_path / "m.safetensors", model,
                           trained_optimizer(model), step=2)
    data = bytearray(path.read_bytes())
    n = int.from_bytes(data[:8], "little")
    assert len(data) - (8 + n) > 6000
    data[8 + n + 1000:8 + n + 6000] = bytes(5000)  # zeros over tensor data
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="m.safetensors' is damaged: its "
                       "tensor data no longer matches the checksum"):
        load_checkpoint(path)


def test_checkpoint_without_checksum_still_loads(tmp_path):
    "Files written before checksums existed: no sha256 in the metadata."
    model = tiny_model().eval()
    path = save_checkpoint(tmp_path / "m.safetensors", model, step=3)
    header = json.loads(path.read_bytes()[8:8 + int.from_bytes(
        path.read_bytes()[:8], "little")])
    meta = header["__metadata__"]
    assert len(meta.pop("sha256")) == 64
    state = load_checkpoint(path)
    save_file({f"model.{k}": v for k, v in state.model.items()},
              tmp_path / "old.safetensors", metadata=meta)
    old = load_checkpoint(tmp_path / "old.safetensors")
    assert old.step == 3
    x = torch.rand(2, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(load_model(tmp_path / "old.safetensors")(x),
                           model(x))


def test_wrapped_models_are_saved_under_the_model_names(tmp_path):
    model = tiny_model()
    names = set(model.state_dict())
    for wrapped in (torch.compile(model), torch.nn.DataParallel(model),
                    torch.compile(torch.nn.DataParallel(model))):
        assert set(wrapped.state_dict()) != names
        path = save_checkpoint(tmp_path / "w.safetensors", wrapped)
        assert set(load_checkpoint(path).model) == names
    # a file an older version wrote with the wrapper's names still loads
    meta = {"format": "vit-lit-checkpoint", "version": "1",
            "config": json.dumps(model.config), "step": "0",
            "history": "{}", "training": "{}"}
    save_file({f"model._orig_mod.{k}": v
               for k, v in model.state_dict().items()},
              tmp_path / "old.safetensors", metadata=meta)
    assert set(load_checkpoint(tmp_path / "old.safetensors").model) == names


def test_write_protected_checkpoint_is_refused_and_modes_kept(tmp_path):
    path = save_checkpoint(tmp_path / "m.safetensors", tiny_model())
    os.chmod(path, 0o640)
    save_checkpoint(path, tiny_model(), step=1)
    assert (path.stat().st_mode & 0o777) == 0o640  # replaced, mode kept
    os.chmod(path, 0o444)
    with pytest.raises(ValueError, match="m.safetensors' is write-protected"):
        save_checkpoint(path, tiny_model(), step=2)
    assert load_checkpoint(path).step == 1


def test_bad_places_for_a_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="is a folder; give a file name"):
        check_writable(tmp_path)
    with pytest.raises(ValueError, match="missing' for the checkpoint .* "
                       "does not exist; create it first"):
        check_writable(tmp_path / "missing" / "m.safetensors")
    (tmp_path / "ro").mkdir(mode=0o555)
    with pytest.raises(ValueError, match="ro' is not writable"):
        check_writable(tmp_path / "ro" / "m.safetensors")


def test_fit_of_a_peft_model_writes_a_checkpoint_every_reader_takes(tmp_path, capsys):
    """LoRA on qkv: the checkpoint holds the merged weights (load_model, vit-lit eval and predict read them)
    and the adapters (fit resumes from them); the model in training keeps its adapters (issue 33, item 8)."""
    peft = pytest.importorskip("peft")
    from PIL import Image
    from vit_lit.cli import main
    from vit_lit.data import load_digits_split
    from vit_lit.train import fit

    def lora():
        torch.manual_seed(0)
        return peft.get_peft_model(create_vit("vit_digits_patch4_8", **TINY),
                                   peft.LoraConfig(r=4, target_modules=["qkv"], modules_to_save=["head"]))

    d = load_digits_split()
    data, names = (d.x_train[:64], d.y_train[:64]), [str(i) for i in range(10)]
    ckpt = tmp_path / "lora.safetensors"
    model = lora()
    run = dict(progress=False, device="cpu", batch_size=32, classes=names)
    fit(model, data, epochs=1, checkpoint=ckpt, **run)
    assert any("lora_A" in n for n, _ in model.named_parameters())  # still a PEFT model
    loaded = load_model(ckpt)
    assert type(loaded) is ViT
    with torch.no_grad():
        assert torch.allclose(loaded(d.x_test[:8]), model.eval()(d.x_test[:8]), atol=1e-5)
    Image.fromarray((d.x_test[0, 0] * 255).byte().numpy()).save(tmp_path / "digit.png")
    assert main(["eval", str(ckpt)]) == 0 and main(["predict", str(ckpt), str(tmp_path / "digit.png")]) == 0
    assert "test accuracy" in capsys.readouterr().out
    history = fit(lora(), data, epochs=2, checkpoint=tmp_path / "more.safetensors", resume=ckpt, **run)
    assert history["epoch"] == [1, 2]
    with pytest.raises(ValueError, match="holds a PEFT run .* resume it with the same PEFT-wrapped model"):
        fit(create_vit("vit_digits_patch4_8", **TINY), data, epochs=2, resume=ckpt, **run)
