"Parity of vit_lit.convert with timm and Hugging Face, both directions, and its refusals."
import warnings

import pytest
import torch
from torch import nn

from conftest import shake
from vit_lit import ViT
from vit_lit.convert import from_hf, from_timm, hf_config, timm_config, to_hf, to_timm

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # tqdm's IProgress warning on timm's import
    from timm.models.vision_transformer import VisionTransformer
    from transformers import ViTConfig, ViTForImageClassification

# image size, patch size, 1 and 3 channels, depth 1 and several, heads 1 and several,
# class counts, both epsilons, with and without the qkv bias
CONFIGS = [
    dict(image_size=8, patch_size=2, channels=1, dim=16, depth=1, heads=1, mlp_dim=64,
         num_classes=3, eps=1e-6),
    dict(image_size=12, patch_size=4, channels=3, dim=24, depth=3, heads=3, mlp_dim=48,
         num_classes=10, eps=1e-12),
    dict(image_size=16, patch_size=8, channels=3, dim=32, depth=2, heads=4, mlp_dim=128,
         num_classes=1, eps=1e-6, qkv_bias=False),
    dict(image_size=6, patch_size=3, channels=1, dim=8, depth=2, heads=2, mlp_dim=16,
         num_classes=7, eps=1e-12),
]
IDS = [f"{c['image_size']}px-p{c['patch_size']}-c{c['channels']}-d{c['depth']}-h{c['heads']}"
       f"-k{c['num_classes']}-eps{c['eps']:g}" for c in CONFIGS]



def images_for(c: dict, b: int = 2) -> torch.Tensor:
    return torch.rand(b, c["channels"], c["image_size"], c["image_size"],
                      generator=torch.Generator().manual_seed(1))


def timm_hidden(model: VisionTransformer, x: torch.Tensor) -> list[torch.Tensor]:
    "The output of every timm block, through forward hooks."
    seen = []
    handles = [b.register_forward_hook(lambda m, a, out: seen.append(out)) for b in model.blocks]
    model(x)
    for h in handles:
        h.remove()
    return seen


def hidden_states(vit: ViT, x: torch.Tensor) -> list[torch.Tensor]:
    "Every block's output, CLS row included (Hugging Face's hidden_states[1:])."
    return vit.blocks(vit.embed(x), return_hidden=True)[1]


def hf_model(c: dict, **kw) -> ViTForImageClassification:
    vit = ViT(**c)
    return ViTForImageClassification(ViTConfig(**hf_config(vit), **kw))


def assert_close_lists(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == y.shape
        torch.testing.assert_close(x, y, atol=1e-5, rtol=0)


@pytest.mark.parametrize("c", CONFIGS, ids=IDS)
def test_timm_to_vit(c):
    torch.manual_seed(0)
    reference = shake(VisionTransformer(**timm_config(ViT(**c))))
    vit = from_timm(reference).eval()
    assert vit.config == {"qkv_bias": True, **c}
    x = images_for(c)
    with torch.no_grad():
        torch.testing.assert_close(vit(x), reference(x), atol=1e-5, rtol=0)
        final, hidden, _ = vit.blocks(vit.embed(x), return_hidden=True)
        assert_close_lists(hidden, timm_hidden(reference, x))
        torch.testing.assert_close(vit.norm(final), reference.forward_features(x), atol=1e-5,
                                   rtol=0)


@pytest.mark.parametrize("c", CONFIGS, ids=IDS)
def test_vit_to_timm(c):
    torch.manual_seed(0)
    vit = shake(ViT(**c))
    reference = VisionTransformer(**timm_config(vit)).eval()
    reference.load_state_dict(to_timm(vit), strict=True)
    x = images_for(c)
    with torch.no_grad():
        torch.testing.assert_close(reference(x), vit(x), atol=1e-5, rtol=0)
        assert_close_lists(timm_hidden(reference, x), hidden_states(vit, x))


@pytest.mark.parametrize("c", CONFIGS, ids=IDS)
def test_hf_to_vit(c):
    torch.manual_seed(0)
    reference = shake(hf_model(c, attn_implementation="eager"))
    vit = from_hf(reference).eval()
    assert vit.config == {"qkv_bias": True, **c}
    x = images_for(c)
    with torch.no_grad():
        out = reference(x, output_hidden_states=True, output_attentions=True)
        torch.testing.assert_close(vit(x), out.logits, atol=1e-5, rtol=0)
        # hidden_states[0] is the embedding, then one per layer (before the final norm)
        assert_close_lists(hidden_states(vit, x), list(out.hidden_states[1:]))
        assert_close_lists(vit.attention_maps(x), list(out.attentions))


@pytest.mark.parametrize("c", CONFIGS, ids=IDS)
def test_vit_to_hf(c):
    torch.manual_seed(0)
    vit = shake(ViT(**c))
    reference = ViTForImageClassification(ViTConfig(**hf_config(vit))).eval()
    reference.load_state_dict(to_hf(vit), strict=True)
    assert reference.config.layer_norm_eps == c["eps"]
    x = images_for(c)
    with torch.no_grad():
        out = reference(x, output_hidden_states=True)
        torch.testing.assert_close(out.logits, vit(x), atol=1e-5, rtol=0)
        assert_close_lists(list(out.hidden_states[1:]), hidden_states(vit, x))


def test_hf_default_eps_is_1e12():
    c = dict(CONFIGS[0], eps=1e-12)
    vit = ViT(**c)
    config = ViTConfig(**{k: v for k, v in hf_config(vit).items() if k != "layer_norm_eps"})
    assert from_hf(ViTForImageClassification(config)).config["eps"] == 1e-12
    assert from_hf(to_hf(vit), heads=c["heads"]).config["eps"] == 1e-12


# transformers 4.x names, written out here independently of vit_lit's table
V4 = [("vit.layers.", "vit.encoder.layer."),
      (".attention.q_proj.", ".attention.attention.query."),
      (".attention.k_proj.", ".attention.attention.key."),
      (".attention.v_proj.", ".attention.attention.value."),
      (".attention.o_proj.", ".attention.output.dense."),
      (".mlp.fc1.", ".intermediate.dense."), (".mlp.fc2.", ".output.dense.")]


def as_v4(state: dict) -> dict:
    out = {}
    for k, v in state.items():
        for new, old in V4:
            k = k.replace(new, old)
        out[k] = v
    return out


def test_hf_4x_names_read_and_written():
    c = CONFIGS[1]
    torch.manual_seed(0)
    reference = shake(hf_model(c))
    v4 = as_v4(reference.state_dict())
    assert "vit.encoder.layer.2.attention.attention.query.weight" in v4
    vit = from_hf(v4, heads=c["heads"], eps=c["eps"]).eval()
    x = images_for(c)
    with torch.no_grad():
        torch.testing.assert_close(vit(x), reference(x).logits, atol=1e-5, rtol=0)
    written = to_hf(vit, version=4)
    assert written.keys() == v4.keys()
    assert all(torch.equal(written[k], v4[k]) for k in v4)


def test_timm_state_dict_needs_heads_and_matches_model():
    c = CONFIGS[1]
    torch.manual_seed(0)
    reference = shake(VisionTransformer(**timm_config(ViT(**c))))
    with pytest.raises(ValueError, match="number of attention heads; pass heads="):
        from_timm(reference.state_dict())
    vit = from_timm(reference.state_dict(), heads=3, eps=1e-12)
    assert vit.config == from_timm(reference).config
    with pytest.raises(ValueError, match="pass them only with a state dict"):
        from_timm(reference, heads=3)


def test_inputs_are_not_mutated_or_shared():
    torch.manual_seed(0)
    reference = shake(VisionTransformer(**timm_config(ViT(**CONFIGS[0]))))
    before = {k: v.clone() for k, v in reference.state_dict().items()}
    vit = from_timm(reference)
    with torch.no_grad():
        for p in vit.parameters():
            p.zero_()
    assert all(torch.equal(before[k], v) for k, v in reference.state_dict().items())
    state = to_timm(shake(ViT(**CONFIGS[0])))
    copy = {k: v.clone() for k, v in state.items()}
    for export in (to_timm, to_hf):
        for v in export(from_timm(state, heads=1)).values():
            v.zero_()
    assert all(torch.equal(copy[k], v) for k, v in state.items())


def test_keeps_device_dtype_and_trains():
    reference = VisionTransformer(**timm_config(ViT(**CONFIGS[0]))).double()
    vit = from_timm(reference)
    assert all(p.dtype == torch.float64 and p.requires_grad for p in vit.parameters())


def broken_state() -> dict:
    state = to_timm(ViT(**CONFIGS[1]))
    del state["blocks.1.norm1.bias"], state["blocks.2.mlp.fc2.weight"]
    state["blocks.0.attn.proj.weight"] = torch.zeros(24, 12)
    state["reg_token"] = torch.zeros(1, 1, 24)  # (a dist_token would read as DeiT's)
    return state


def test_state_dict_problems_are_all_listed():
    with pytest.raises(ValueError) as info:
        from_timm(broken_state(), heads=3)
    message = str(info.value)
    for part in ["missing: blocks.1.norm1.bias, blocks.2.mlp.fc2.weight",
                 "unexpected: reg_token",
                 "wrong shape: blocks.0.attn.proj.weight (24, 12) (expected (24, 24))"]:
        assert part in message


def test_hf_state_dict_problems_are_listed():
    state = to_hf(ViT(**CONFIGS[1]))
    state["vit.layers.0.attention.k_proj.weight"] = torch.zeros(24, 5)
    state["vit.pooler.dense.weight"] = torch.zeros(24, 24)
    del state["vit.layernorm.bias"]
    with pytest.raises(ValueError, match=r"missing: vit.layernorm.bias; unexpected: "
                       r"vit.pooler.dense.weight; wrong shape: vit.layers.0.attention.k_proj"):
        from_hf(state, heads=3)


def test_incomplete_state_dict():
    with pytest.raises(ValueError, match="has no 'patch_embed.proj.weight'"):
        from_timm({"head.weight": torch.zeros(3, 8)}, heads=1)
    state = to_timm(ViT(**CONFIGS[0]))
    state["pos_embed"] = torch.zeros(1, 16, 16)
    with pytest.raises(ValueError, match="16 positions are not 1 \\+ a square grid"):
        from_timm(state, heads=1)


def test_hf_names_of_no_version():
    with pytest.raises(ValueError, match="transformers 4.x or 5.x"):
        from_hf({"classifier.weight": torch.zeros(3, 8)}, heads=1)
    with pytest.raises(ValueError, match="version must be 5"):
        to_hf(ViT(**CONFIGS[0]), version=3)


def test_not_a_model():
    with pytest.raises(TypeError, match="needs a model or a state dict, got list"):
        from_timm([1, 2])


TIMM_BASE = dict(img_size=8, patch_size=2, in_chans=1, embed_dim=16, depth=1, num_heads=2,
                 num_classes=3)


@pytest.mark.parametrize("kw,feature", [
    (dict(global_pool="avg"), "an average pool beside a class token"),
    (dict(global_pool="map"), "attention pooling"),
    (dict(reg_tokens=4), "register tokens"),
    (dict(class_token=False, global_pool="max"), "no class token"),
    (dict(no_embed_class=True), "no_embed_class=True"),
    (dict(pos_embed="none"), "no positional embedding"),
    (dict(dynamic_img_size=True), "dynamic_img_size=True"),
    (dict(pre_norm=True), "pre_norm"),
    (dict(fc_norm=True), "fc_norm"),
    (dict(final_norm=False), "no final norm"),
    (dict(init_values=1e-5), "layer scale"),
    (dict(qk_norm=True), "qk_norm=True"),
    (dict(act_layer="gelu_tanh"), "exact GELU"),
    (dict(norm_layer="rmsnorm"), "other than LayerNorm"),
    (dict(img_size=(8, 32), patch_size=2), "non-square images or patches (grid 4x16"),
    (dict(img_size=(16, 64), patch_size=4), "non-square images or patches (grid 4x16"),
    (dict(proj_bias=False), "projections without bias (proj_bias=False)"),
])
def test_timm_architectures_refused(kw, feature):
    model = VisionTransformer(**{**TIMM_BASE, **kw})
    with pytest.raises(ValueError, match="from_timm cannot convert this model") as info:
        from_timm(model)
    assert feature in str(info.value)


def test_timm_other_class_refused():
    class Other(VisionTransformer):  # DeiT's VisionTransformerDistilled converts (test_variants)
        pass
    with pytest.raises(ValueError, match="the class Other"):
        from_timm(Other(**TIMM_BASE))


@pytest.mark.parametrize("kw,feature", [
    (dict(hidden_act="gelu_new"), "hidden_act='gelu_new'"),
    (dict(image_size=(8, 12)), "non-square"),
])
def test_hf_architectures_refused(kw, feature):
    c = {**hf_config(ViT(**CONFIGS[0])), **kw}
    with pytest.raises(ValueError, match="from_hf cannot convert this model") as info:
        from_hf(ViTForImageClassification(ViTConfig(**c)))
    assert feature in str(info.value)


def test_hf_other_class_refused():
    from transformers import ViTModel
    with pytest.raises(ValueError, match="the class ViTModel"):
        from_hf(ViTModel(ViTConfig(**hf_config(ViT(**CONFIGS[0])))))


def test_timm_config_refuses_what_mlp_ratio_cannot_say():
    vit = ViT(image_size=8, patch_size=2, num_classes=2, dim=7, depth=1, heads=1, mlp_dim=61)
    assert int(7 * (61 / 7)) != 61  # timm's int(dim * mlp_ratio) would give 60
    with pytest.raises(ValueError, match="mlp_ratio cannot express mlp_dim 61"):
        timm_config(vit)


def test_timm_hybrid_refused_by_name():
    import timm
    model = timm.create_model("vit_tiny_r_s16_p8_224", pretrained=False)
    with pytest.raises(ValueError, match="from_timm cannot convert this model") as info:
        from_timm(model)
    for words in ("HybridEmbed", "vit_tiny_r_s16_p8_224", "convolutional stem", "*_r50_*"):
        assert words in str(info.value)


def test_timm_exact_gelu_by_name_is_accepted():
    torch.manual_seed(0)
    model = shake(VisionTransformer(**{**TIMM_BASE, "act_layer": "gelu"}))
    assert not isinstance(model.blocks[0].mlp.act, nn.GELU)  # timm's own GELU class
    vit = from_timm(model).eval()
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(vit(x), model(x), atol=1e-5, rtol=0)


def test_hf_gelu_python_is_accepted():
    torch.manual_seed(0)
    c = {**hf_config(ViT(**CONFIGS[0])), "hidden_act": "gelu_python"}
    model = shake(ViTForImageClassification(ViTConfig(**c)))
    vit = from_hf(model).eval()
    x = images_for(CONFIGS[0])
    torch.testing.assert_close(vit(x), model(pixel_values=x).logits, atol=1e-5, rtol=0)


# ---- the Hugging Face folder format (issue 22)
@pytest.mark.parametrize("c", [CONFIGS[1], CONFIGS[2]], ids=[IDS[1], IDS[2]])
def test_save_pretrained_is_read_by_transformers_and_back(c, tmp_path):
    from transformers.utils import logging as hf_logging
    from vit_lit.convert import from_pretrained, save_pretrained
    hf_logging.disable_progress_bar()
    torch.manual_seed(0)
    vit = shake(ViT(**c))
    labels = [f"class {i}" for i in range(c["num_classes"])]
    save_pretrained(vit, tmp_path / "folder", labels=labels)
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == [
        "config.json", "model.safetensors"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing / unexpected keys
        hf = ViTForImageClassification.from_pretrained(tmp_path / "folder",
                                                       local_files_only=True).eval()
    assert hf.config.id2label[0] == "class 0" and hf.config.layer_norm_eps == c["eps"]
    x = images_for(c)
    with torch.no_grad():
        expected = vit(x)
        torch.testing.assert_close(hf(pixel_values=x).logits, expected, atol=1e-5, rtol=0)
        back = from_pretrained(tmp_path / "folder").eval()
        torch.testing.assert_close(back(x), expected, atol=1e-6, rtol=0)
    # and a folder that transformers wrote itself
    hf.save_pretrained(tmp_path / "hf")
    torch.testing.assert_close(from_pretrained(tmp_path / "hf").eval()(x), expected,
                               atol=1e-5, rtol=0)


def test_from_pretrained_refuses_what_it_cannot_read(tmp_path):
    import json
    from vit_lit.convert import from_pretrained, save_pretrained
    with pytest.raises(FileNotFoundError, match="no config.json"):
        from_pretrained(tmp_path)
    save_pretrained(ViT(**CONFIGS[0]), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "hidden_act": "relu"}))
    with pytest.raises(ValueError, match="hidden_act='relu'"):
        from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="no model.safetensors"):
        from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="labels must be 3 different names"):
        save_pretrained(ViT(**CONFIGS[0]), tmp_path, labels=["a", "a", "b"])


def test_feature_extractors_without_a_head_convert_both_ways():
    "num_classes=0 (timm) and num_labels=0 (Hugging Face): no head, features out."
    from transformers import ViTModel  # noqa: F401  (transformers is imported)
    torch.manual_seed(0)
    timm_model = shake(VisionTransformer(**{**TIMM_BASE, "num_classes": 0}))
    vit = from_timm(timm_model).eval()
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    assert vit.config["num_classes"] == 0 and vit(x).shape == (2, 16)
    torch.testing.assert_close(vit(x), timm_model(x), atol=1e-5, rtol=0)
    back = VisionTransformer(**timm_config(vit)).eval()
    back.load_state_dict(to_timm(vit))
    torch.testing.assert_close(back(x), timm_model(x), atol=1e-5, rtol=0)
    c = {**hf_config(ViT(**CONFIGS[0])), "num_labels": 0}
    hf = shake(ViTForImageClassification(ViTConfig(**c)))
    vit = from_hf(hf).eval()
    x = images_for(CONFIGS[0])
    with torch.no_grad():
        torch.testing.assert_close(vit(x), hf(pixel_values=x).logits, atol=1e-5, rtol=0)


# forward_intermediates: every argument of timm's, its result compared with timm's
INTERMEDIATE_ARGS = [
    dict(), dict(indices=1), dict(indices=2, norm=True), dict(indices=[0, -1]),
    dict(indices=[-2], stop_early=True), dict(output_fmt="NLC"),
    dict(return_prefix_tokens=True), dict(intermediates_only=True, norm=True),
    dict(indices=[1], stop_early=True, intermediates_only=True, output_fmt="NLC",
         return_prefix_tokens=True),
    dict(output_dict=True, return_prefix_tokens=True),
    dict(output_dict=True, intermediates_only=True, indices=1),
]


def assert_close_nested(a, b):
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_close_nested(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_close_nested(x, y)
    else:
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


@pytest.mark.parametrize("kw", INTERMEDIATE_ARGS + [dict(indices=(0, 2)), dict(indices=range(2))],
                         ids=lambda kw: str(kw) or "defaults")
def test_forward_intermediates_as_timm(kw):
    torch.manual_seed(0)
    vit = shake(ViT(**CONFIGS[1])).eval()  # 3 blocks, 3x3 patches
    reference = VisionTransformer(**timm_config(vit)).eval()
    reference.load_state_dict(to_timm(vit), strict=True)
    x = images_for(CONFIGS[1])
    with torch.no_grad():
        assert_close_nested(vit.forward_intermediates(x, **kw),
                            reference.forward_intermediates(x, **kw))


def test_forward_intermediates_gradients_and_checkpointing():
    "Gradients through the intermediates equal timm's, with and without checkpointing."
    torch.manual_seed(0)
    vit = shake(ViT(**CONFIGS[1]))
    reference = VisionTransformer(**timm_config(vit))
    reference.load_state_dict(to_timm(vit), strict=True)
    x = images_for(CONFIGS[1])
    for checkpointing in (False, True):
        grads = []
        for model in (vit, reference):
            model.set_grad_checkpointing(checkpointing)
            model.zero_grad()
            final, taken = model.forward_intermediates(x, indices=[0, 2], norm=True)
            (final.square().sum() + sum(t.sin().sum() for t in taken)).backward()
            grads.append(model.blocks[0].attn.qkv.weight.grad.clone())
        torch.testing.assert_close(grads[0], grads[1], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kw", [dict(), dict(indices=[0], prune_norm=True),
                                dict(indices=2, prune_head=False)], ids=str)
def test_prune_intermediate_layers_as_timm(kw):
    torch.manual_seed(0)
    vit = shake(ViT(**CONFIGS[1])).eval()
    reference = VisionTransformer(**timm_config(vit)).eval()
    reference.load_state_dict(to_timm(vit), strict=True)
    indices = kw.get("indices", 1)
    assert vit.prune_intermediate_layers(**kw) == reference.prune_intermediate_layers(**kw)
    assert len(vit.blocks) == len(reference.blocks) == vit.config["depth"]
    x = images_for(CONFIGS[1])
    with torch.no_grad():
        torch.testing.assert_close(vit.forward_features(x), reference.forward_features(x),
                                   atol=1e-5, rtol=0)
        if not kw.get("prune_head", True):
            torch.testing.assert_close(vit(x), reference(x), atol=1e-5, rtol=0)
        assert_close_nested(vit.forward_intermediates(x, indices=indices),
                            reference.forward_intermediates(x, indices=indices))


@pytest.mark.parametrize("kw,match", [
    (dict(indices=0), r"indices=0 asks for the last 0 blocks of 3; give 1 to 3"),
    (dict(indices=4), r"indices=4 asks for the last 4 blocks of 3"),
    (dict(indices=[3]), r"block index 3 is out of range for 3 blocks; use 0 to 2, or -3"),
    (dict(indices=[-4]), r"block index -4 is out of range"),
    (dict(indices=[]), r"indices is an empty list"),
    (dict(indices=2.0), r"indices must be None, an int \(the last n blocks\) or a list.*2\.0"),
    (dict(output_fmt="NHWC"), r"output_fmt must be 'NCHW' \(feature maps\) or 'NLC'.*'NHWC'"),
])
def test_forward_intermediates_refuses(kw, match):
    vit = ViT(**CONFIGS[1])
    with pytest.raises(ValueError, match=match):
        vit.forward_intermediates(images_for(CONFIGS[1]), **kw)
