"Tests for vit_lit.model: the whole ViT (guide steps 5-13), presets, trace_shapes, bad input."
import warnings

import pytest
import torch

from vit_lit import PRESETS, ViT, create_vit, set_lang, get_lang, trace_shapes
from vit_lit.attention import attend, split_qkv

SMALL = dict(image_size=8, patch_size=2, num_classes=5, channels=1, dim=16, depth=3, heads=2,
             mlp_dim=32)


def small(**kw) -> ViT:
    torch.manual_seed(0)
    return ViT(**{**SMALL, **kw}).eval()


def images(b=2, c=1, s=8):
    return torch.rand(b, c, s, s, generator=torch.Generator().manual_seed(1))


def count(vit: ViT) -> int:
    return sum(p.numel() for p in vit.parameters())


def meta(name: str, **kw) -> ViT:
    with torch.device("meta"):
        return create_vit(name, **kw)


@pytest.mark.parametrize("name,expected", [
    ("vit_tiny_patch16_224", 5_717_416), ("vit_small_patch16_224", 22_050_664),
    ("vit_base_patch16_224", 86_567_656), ("vit_large_patch16_224", 304_326_632),
    ("vit_huge_patch14_224", 630_764_800 + 1280 * 1000 + 1000),
])
def test_preset_parameter_counts_equal_timm(name, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import timm
    # timm's huge/14 has no head (num_classes=0); give it the 1,000-class head of ours
    with torch.device("meta"):
        reference = timm.create_model(name, num_classes=1000)
    assert count(meta(name)) == expected == count(reference)


@pytest.mark.parametrize("name", [n for n in PRESETS if not n.endswith("_224")])
def test_small_presets_equal_timm_of_same_config(name):
    from timm.models.vision_transformer import VisionTransformer

    from vit_lit.convert import timm_config
    vit = meta(name)
    with torch.device("meta"):
        reference = VisionTransformer(**timm_config(vit))
    assert count(vit) == count(reference)
    assert {k: v.shape for k, v in vit.state_dict().items()} == \
        {("embed." + k if k.startswith(("patch_embed", "cls_token", "pos_embed")) else k): v.shape
         for k, v in reference.state_dict().items()}


def test_parameter_count_by_formula():
    d, n, k, m, p, c, depth = 16, 16, 5, 32, 2, 1, 3
    embed = d * c * p * p + d + d + (n + 1) * d
    block = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (m * d + m) + (d * m + d)
    assert count(small()) == embed + depth * block + 2 * d + (d * k + k)


def test_config_records_the_arguments():
    vit = create_vit("vit_digits_patch2_8", num_classes=3, eps=1e-12)
    expected = {"channels": 3, "eps": 1e-6, "qkv_bias": True, **PRESETS["vit_digits_patch2_8"],
                "num_classes": 3, "eps": 1e-12}
    assert vit.config == expected
    assert vit.norm.eps == vit.blocks[0].norm1.eps == 1e-12


def test_forward_shapes_and_pieces():
    vit, x = small(), images()
    with torch.no_grad():
        features = vit.forward_features(x)
        assert features.shape == (2, 17, 16)
        assert vit.forward_head(features, pre_logits=True).shape == (2, 16)
        logits = vit(x)
    assert logits.shape == (2, 5)
    torch.testing.assert_close(logits, vit.head(vit.norm(vit.blocks(vit.embed(x)))[:, 0]),
                               atol=1e-6, rtol=0)


def test_head_reads_only_row_0():
    vit = small()
    with torch.no_grad():
        features = vit.forward_features(images())
        changed = features.clone()
        changed[:, 1:] = torch.randn_like(changed[:, 1:]) * 100
        assert torch.equal(vit.forward_head(changed), vit.forward_head(features))
        changed[:, 0] += 1
        assert not torch.allclose(vit.forward_head(changed), vit.forward_head(features))


def test_hidden_states_of_every_block():
    "blocks(..., return_hidden=True) gives every block's output, CLS row included."
    vit, x = small(), images()
    with torch.no_grad():
        final, hidden, _ = vit.blocks(vit.embed(x), return_hidden=True)
        manual, h = [], vit.embed(x)
        for block in vit.blocks:
            h = block(h)
            manual.append(h)
    assert len(hidden) == 3 and all(a.shape == (2, 17, 16) for a in hidden)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(hidden, manual))
    assert torch.allclose(vit.norm(final), vit.forward_features(x), atol=1e-6)


def test_forward_intermediates_sees_every_block_hook():
    "Like timm's, forward_intermediates calls every block as a module, the last one too."
    vit, x = small(), images()
    seen = []
    for block in vit.blocks:
        block.register_forward_hook(lambda m, a, out: seen.append(out.shape))
    with torch.no_grad():
        final, maps = vit.forward_intermediates(x)
    assert seen == [(2, 17, 16)] * 3
    assert final.shape == (2, 17, 16) and [m.shape for m in maps] == [(2, 16, 4, 4)] * 3


def test_attention_maps_are_explicit_and_leave_the_fused_default():
    vit, x = small(), images()
    with torch.no_grad():
        before = vit(x)
        maps = vit.attention_maps(x)
        assert len(maps) == 3 and all(m.shape == (2, 2, 17, 17) for m in maps)
        assert torch.allclose(maps[2].sum(-1), torch.ones(2, 2, 17))
        # block 0's maps recomputed by hand from its qkv layer
        q, k, _ = split_qkv(vit.blocks[0].attn.qkv(vit.blocks[0].norm1(vit.embed(x))), 2)
        assert torch.allclose(maps[0], attend(q, k, k)[1], atol=1e-6)
        assert all(block.attn.fused for block in vit.blocks)
        assert torch.equal(vit(x), before)


def test_fused_and_explicit_models_agree():
    fused, explicit = small(), small(fused=False)
    with torch.no_grad():
        assert torch.allclose(fused(images()), explicit(images()), atol=1e-5)


def test_trace_shapes_digits_preset():
    torch.manual_seed(0)
    vit = create_vit("vit_digits_patch2_8", dim=32, heads=4, mlp_dim=48, depth=2)
    rows = trace_shapes(vit, images(b=3))
    assert [r.step for r in rows] == ["0–2", "3–4", "5–6", "7", "8–9", "10.1", "10.2–10.3",
                                      "10.4–10.5", "10.6–10.8", "10.9–10.10", "10.11", "10.12",
                                      "11", "12", "13"]
    assert [r.shape for r in rows] == [
        (3, 1, 8, 8), (3, 16, 4), (3, 16, 32), (3, 17, 32), (3, 17, 32), (3, 4, 17, 8),
        (3, 4, 17, 17), (3, 4, 17, 8), (3, 17, 32), (3, 17, 32), (3, 17, 48), (3, 17, 32),
        (3, 17, 32), (3, 32), (3, 10)]
    assert "2 encoder blocks" in rows[12].name
    assert not vit.embed.patch_embed._forward_hooks and not vit.head._forward_hooks


def test_trace_shapes_speaks_the_readers_language():
    before = get_lang()
    try:
        set_lang("ko")
        names = [r.name for r in trace_shapes(small(), images())]
    finally:
        set_lang(before)
    assert names[1] == "평탄화한 패치" and names[-1] == "클래스 확률"


def test_trace_shapes_needs_a_vit():
    with pytest.raises(TypeError, match="needs a vit_lit ViT, got Linear"):
        trace_shapes(torch.nn.Linear(2, 2), images())


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["image_size", "patch_size", "num_classes", "dim", "depth",
                                  "heads", "mlp_dim", "channels"])
@pytest.mark.parametrize("value", [0, -2, 2.5, True])
def test_non_positive_or_non_integer_sizes(name, value):
    if name == "num_classes" and value == 0:
        return  # a feature extractor, tested below
    with pytest.raises(ValueError, match=f"ViT needs {name} to be a positive integer, "):
        ViT(**{**SMALL, name: value})


def test_num_classes_below_zero():
    with pytest.raises(ValueError, match="num_classes to be a positive integer, or 0 for no "
                       "head .* got -1"):
        create_vit("vit_digits_patch2_8", num_classes=-1)


def test_num_classes_0_is_a_feature_extractor_and_reset_classifier_adds_a_head():
    vit = small(num_classes=0)
    x = images(b=3)
    assert isinstance(vit.head, torch.nn.Identity)
    features = vit(x)
    assert features.shape == (3, SMALL["dim"])
    torch.testing.assert_close(features, vit.forward_features(x)[:, 0], atol=1e-6, rtol=0)
    vit.reset_classifier(7)
    assert vit(x).shape == (3, 7) and vit.config["num_classes"] == 7
    assert vit.head.bias.abs().max() == 0 and 0 < vit.head.weight.std() < 0.05
    vit.reset_classifier(0)
    torch.testing.assert_close(vit(x), features)


def test_grad_checkpointing_gives_the_same_gradients():
    x, target = images(b=4), torch.arange(4) % SMALL["num_classes"]
    grads = []
    for enable in (False, True):
        vit = small().train()
        vit.set_grad_checkpointing(enable)
        calls = []
        vit.blocks[0].register_forward_pre_hook(lambda *a: calls.append(1))
        torch.nn.functional.cross_entropy(vit(x), target).backward()
        assert len(calls) == (2 if enable else 1)  # recomputed in the backward pass
        grads.append({n: p.grad for n, p in vit.named_parameters()})
    for name, g in grads[0].items():
        torch.testing.assert_close(grads[1][name], g, atol=1e-6, rtol=0, msg=name)


def test_dim_not_divisible_by_heads():
    with pytest.raises(ValueError, match="dim 16 is not divisible by heads 3; choose heads among "
                       "the divisors of 16, e.g. 2"):
        ViT(**{**SMALL, "heads": 3})


@pytest.mark.parametrize("eps", [0, -1e-6, "1e-6"])
def test_bad_eps(eps):
    with pytest.raises(ValueError, match="eps must be a positive number"):
        ViT(**{**SMALL, "eps": eps})


def test_image_size_not_divisible_by_patch_size():
    with pytest.raises(ValueError, match="image_size 10 is not divisible by patch_size 4"):
        ViT(**{**SMALL, "image_size": 10, "patch_size": 4})


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        create_vit("vit_base")
    assert "unknown preset 'vit_base'" in str(info.value)
    assert all(name in str(info.value) for name in PRESETS)


def test_wrong_channels_and_size():
    vit = small()
    with pytest.raises(ValueError, match="built for 1 channels but got 3"):
        vit(images(c=3))
    with pytest.raises(ValueError, match="built for 8x8 images but got 16x16"):
        vit(images(s=16))
    with pytest.raises(ValueError, match="built for 8x8 images but got 16x16"):
        vit.attention_maps(images(s=16))


@pytest.mark.parametrize("depth", [1, 3])
def test_forward_skips_rows_the_head_never_reads_with_the_same_logits_and_grads(depth):
    "forward() computes only the CLS row in the last block: same logits and gradients as timm."
    from timm.models.vision_transformer import VisionTransformer
    from vit_lit import to_timm
    from vit_lit.convert import timm_config

    vit = small(depth=depth)
    x = images(b=4)
    torch.testing.assert_close(vit(x), vit.forward_head(vit.forward_features(x)),
                               atol=1e-6, rtol=0)
    ref = VisionTransformer(**timm_config(vit)).eval()
    ref.load_state_dict(to_timm(vit))
    target = torch.arange(4) % SMALL["num_classes"]
    for model in (vit, ref):
        torch.nn.functional.cross_entropy(model(x), target).backward()
    ref_params = dict(ref.named_parameters())
    for name, p in vit.named_parameters():
        other = ref_params[name.removeprefix("embed.")]
        torch.testing.assert_close(p.grad, other.grad, atol=1e-5, rtol=0, msg=name)


# ---- forward() calls every submodule as a module (issue 22, item 4)
def test_forward_fires_hooks_on_every_module_of_the_last_block():
    vit = small()
    last = vit.blocks[-1]
    watched = {"blocks": vit.blocks, "block": last, "attn": last.attn, "qkv": last.attn.qkv,
               "proj": last.attn.proj, "mlp": last.mlp, "norm": vit.norm, "head": vit.head}
    seen = {}
    handles = [m.register_forward_hook(lambda m, a, o, name=name: seen.__setitem__(name, o))
               for name, m in watched.items()]
    x = images(b=3)
    vit(x)
    for h in handles:
        h.remove()
    assert set(seen) == set(watched)
    n = (SMALL["image_size"] // SMALL["patch_size"]) ** 2 + 1
    assert seen["qkv"].shape == (3, n, 3 * SMALL["dim"])  # every token's q, k, v
    for name in ("blocks", "block", "attn", "proj", "mlp", "norm"):  # every token (issue 33)
        assert seen[name].shape == (3, n, SMALL["dim"]), name


# ---- hooks see every token; the CLS-only shortcut only where no one can see it (issue 33)
def _work(fn) -> int:
    """The numbers that every aten op of `fn` writes, counted by a dispatch mode, which no
    module hook or class check sees (FlopCounterMode would register global module hooks)."""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    class Count(TorchDispatchMode):
        total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            Count.total += sum(t.numel() for t in tree_leaves(out) if isinstance(t, torch.Tensor))
            return out

    with Count(), torch.no_grad():
        fn()
    return Count.total


@pytest.mark.parametrize("where", ["blocks.2", "blocks.2.attn", "norm"])
def test_hooks_on_the_last_block_and_norm_see_every_token_as_in_timm(where):
    "timm recipes (feature extraction, Grad-CAM) hook blocks[-1] or norm and pool patch tokens."
    from timm.models.vision_transformer import VisionTransformer
    from vit_lit import to_timm
    from vit_lit.convert import timm_config

    vit = small()
    ref = VisionTransformer(**timm_config(vit)).eval()
    ref.load_state_dict(to_timm(vit))
    seen = {}
    for name, model in (("vit_lit", vit), ("timm", ref)):
        model.get_submodule(where).register_forward_hook(
            lambda m, a, o, name=name: seen.__setitem__(name, o))
        with torch.no_grad():
            model(images(b=3))
    assert seen["vit_lit"].shape == seen["timm"].shape == (3, 17, SMALL["dim"])
    torch.testing.assert_close(seen["vit_lit"], seen["timm"], atol=1e-5, rtol=0)
    assert not seen["vit_lit"][:, 1:].mean(dim=1).isnan().any()  # patch tokens are there


class _Doubled(torch.nn.Module):
    "A wrapper around a linear layer: its output times two."
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return 2 * self.inner(x)


def test_a_wrapper_on_qkv_takes_effect_in_forward():
    vit = small()
    x = images(b=3)
    before = vit(x)
    for block in vit.blocks:
        block.attn.qkv = _Doubled(block.attn.qkv)
    full = vit.forward_head(vit.forward_features(x))
    torch.testing.assert_close(vit(x), full, atol=1e-5, rtol=0)
    assert (vit(x) - before).abs().max() > 1e-3


def test_quantize_dynamic_model_runs_and_agrees_with_the_full_path():
    vit = small()
    q = torch.ao.quantization.quantize_dynamic(vit, {torch.nn.Linear}, dtype=torch.qint8)
    x = images(b=3)
    out = q(x)  # raised before: forward read qkv.weight, a method in a quantized layer
    assert isinstance(q.blocks[-1].attn.qkv, torch.ao.nn.quantized.dynamic.Linear)
    # quantized layers are not the plain classes: forward takes the full path
    torch.testing.assert_close(out, q.forward_head(q.forward_features(x)), atol=1e-6, rtol=0)
    torch.testing.assert_close(out, vit(x), atol=0.05, rtol=0)


def test_peft_lora_on_every_qkv_agrees_with_the_full_path():
    peft = pytest.importorskip("peft")
    vit = small()
    x = images(b=3)
    before = vit(x)
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["qkv"], init_lora_weights=False)
    model = peft.get_peft_model(vit, config)
    lora = [n for n, _ in model.named_modules() if n.endswith("qkv.lora_A")]
    assert len(lora) == SMALL["depth"]
    base = model.base_model.model
    out = model(x)
    torch.testing.assert_close(out, base.forward_head(base.forward_features(x)),
                               atol=1e-5, rtol=0)
    assert (out - before).abs().max() > 1e-3


# ---- image-size change: positional embeddings resampled (issue 22)
def test_resample_pos_embed_equals_timm():
    from timm.layers import resample_abs_pos_embed
    from vit_lit.model import resample_pos_embed
    pos = torch.randn(1, 1 + 4 * 4, 16, generator=torch.Generator().manual_seed(0))
    for grid in (6, 3, 4):
        ours = resample_pos_embed(pos, grid)
        assert ours.shape == (1, 1 + grid * grid, 16)
        torch.testing.assert_close(ours, resample_abs_pos_embed(pos, [grid, grid]),
                                   atol=1e-5, rtol=0)
        torch.testing.assert_close(ours[:, 0], pos[:, 0], atol=0, rtol=0)  # CLS kept


def test_set_image_size_equals_hugging_face_interpolate_pos_encoding():
    from transformers import ViTConfig, ViTForImageClassification
    from vit_lit.convert import from_hf, hf_config
    vit = small()
    hf = ViTForImageClassification(ViTConfig(**hf_config(vit))).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=torch.Generator().manual_seed(2)))
    vit = from_hf(hf).eval()
    x = images(b=2, s=12)  # 8x8 model (4x4 grid) on 12x12 images (6x6 grid)
    vit.set_image_size(12, antialias=False)
    assert vit.config["image_size"] == 12 and vit.embed.pos_embed.shape == (1, 37, 16)
    with torch.no_grad():
        expected = hf(pixel_values=x, interpolate_pos_encoding=True).logits
    torch.testing.assert_close(vit(x), expected, atol=1e-5, rtol=0)
    # timm's default antialias=True resamples a little differently
    other = from_hf(hf).eval()
    other.set_image_size(12)
    assert (other(x) - expected).abs().max() > 1e-5


def test_set_image_size_224_to_384_and_back_in_shape():
    vit = meta("vit_tiny_patch16_224")
    vit.set_image_size(384)
    assert vit.embed.pos_embed.shape == (1, 1 + 24 * 24, 192)
    assert vit.embed.patch_embed.grid == (24, 24) and vit.config["image_size"] == 384
    with pytest.raises(ValueError, match="image_size 380 is not divisible by patch_size 16"):
        vit.set_image_size(380)


def test_star_import_gives_the_public_names():
    import vit_lit
    namespace = {}
    exec("from vit_lit import *", namespace)
    for name in ("ViT", "create_vit", "from_timm", "from_hf", "save_pretrained",
                 "from_pretrained", "resample_pos_embed", "fit", "Attention"):
        assert name in namespace, name
    assert set(vit_lit.__all__) <= set(namespace)
    assert not any(name.startswith("_") for name in vit_lit.__all__)


def test_forward_takes_the_cls_only_shortcut_only_when_nothing_can_see_it():
    "Both paths: fewer FLOPs when unobserved; every row once a hook, wrapper or patch appears."
    from torch.nn.modules.module import register_module_forward_hook

    vit, x = small(), images(b=3)
    full = _work(lambda: vit.forward_head(vit.forward_features(x)))
    expected = vit(x)
    assert _work(lambda: vit(x)) < full  # the shortcut: the last block's CLS row only
    last = vit.blocks[-1]

    def observers():
        yield last.mlp.fc2.register_forward_hook(lambda *a: None)
        yield last.attn.register_forward_pre_hook(lambda *a: None)
        yield vit.blocks.register_forward_hook(lambda *a: None)
        yield vit.norm.register_forward_hook(lambda *a: None)
        yield last.norm2.register_full_backward_hook(lambda *a: None)
        yield register_module_forward_hook(lambda *a: None)

    for handle in observers():
        assert _work(lambda: vit(x)) == full
        torch.testing.assert_close(vit(x), expected, atol=1e-6, rtol=0)
        handle.remove()
        assert _work(lambda: vit(x)) < full
    last.mlp.forward = last.mlp.forward  # a patched forward on the instance
    assert _work(lambda: vit(x)) == full
    del last.mlp.forward
    last.attn.proj = _Doubled(last.attn.proj)  # a replaced layer (an adapter, say)
    assert _work(lambda: vit(x)) == _work(lambda: vit.forward_head(vit.forward_features(x)))


# ---- block surgery as timm users do it (issue 33, item 9)
def test_blocks_slice_is_an_encoder_that_runs_and_saves_as_a_shallower_vit():
    vit, x = small(), images()
    part = vit.blocks[:2]
    assert type(part) is type(vit.blocks) and len(part) == 2 and part[1] is vit.blocks[1]
    with torch.no_grad():
        expected = vit.norm(part(vit.embed(x)))[:, 0]
        vit.blocks = part
        torch.testing.assert_close(vit.forward_head(vit.forward_features(x), pre_logits=True),
                                   expected)
    assert vit.config["depth"] == 2
    ViT(**vit.config).load_state_dict(vit.state_dict())  # strict: the names are 0, 1
    assert [n for n, _ in vit.blocks[1:].named_children()] == ["0"]
    with pytest.raises(IndexError, match="holds no block"):
        vit.blocks[5:]


def test_plain_sequential_in_place_of_blocks_runs():
    vit, x = small(), images()
    with torch.no_grad():
        expected = vit(x)
        vit.blocks = torch.nn.Sequential(*vit.blocks)
        torch.testing.assert_close(vit(x), expected, atol=1e-6, rtol=0)


def test_deleting_the_last_block_keeps_depth_true_for_checkpoints(tmp_path):
    from vit_lit import load_model, save_checkpoint

    vit, x = small(), images()
    del vit.blocks[-1]
    assert vit.config["depth"] == SMALL["depth"] - 1
    save_checkpoint(tmp_path / "cut.safetensors", vit)
    back = load_model(tmp_path / "cut.safetensors").eval()
    with torch.no_grad():
        torch.testing.assert_close(back(x), vit(x), atol=0, rtol=0)


# ---- timm's state dict loads by name (issue 33, item 5)
def test_timm_state_dict_loads_by_name_even_with_strict_false():
    "Before, strict=False left patch_embed, cls_token and pos_embed random without a word."
    from timm.models.vision_transformer import VisionTransformer
    from vit_lit.convert import timm_config

    vit, x = small(), images()
    torch.manual_seed(1)
    ref = VisionTransformer(**timm_config(vit)).eval()
    result = vit.load_state_dict(ref.state_dict(), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert torch.equal(vit.embed.pos_embed, ref.pos_embed)
    assert torch.equal(vit.embed.cls_token, ref.cls_token)
    with torch.no_grad():
        torch.testing.assert_close(vit(x), ref(x), atol=1e-5, rtol=0)
    both = {**ref.state_dict(), "embed.cls_token": ref.cls_token}
    with pytest.raises(ValueError, match="both 'cls_token' .* and 'embed.cls_token'"):
        vit.load_state_dict(both)


# ---- timm's attributes and names (issue 33, rough edges)
def test_timm_attributes_classifier_and_in_chans():
    vit = small()
    assert vit.num_classes == 5 and vit.num_features == vit.embed_dim == SMALL["dim"]
    assert vit.get_classifier() is vit.head
    vit.reset_classifier(3, global_pool="token")
    assert vit.num_classes == 3 and vit.get_classifier().out_features == 3
    with pytest.raises(ValueError, match="global_pool 'avg' is not supported"):
        vit.reset_classifier(3, global_pool="avg")
    sizes = {k: v for k, v in SMALL.items() if k != "channels"}
    assert ViT(**sizes, in_chans=1).config == ViT(**SMALL).config
    with pytest.raises(ValueError, match="in_chans=1 and channels=2 disagree"):
        ViT(**sizes, in_chans=1, channels=2)


@pytest.mark.parametrize("make,error,pattern", [
    (lambda: images().permute(0, 2, 3, 1), ValueError, r"channels-last .*permute\(0, 3, 1, 2\)"),
    (lambda: images().numpy(), TypeError, r"got a ndarray .* torch.as_tensor"),
    (lambda: images(s=16), ValueError, r"vit.set_image_size\(16\)"),
    (lambda: images().double(), TypeError, r"weights are torch.float32 but the images are "
                                           r"torch.float64; .* images.to\(torch.float32\)"),
    (lambda: images().half(), TypeError, r"model.to\(torch.float16\)"),
])
def test_input_mistakes_point_to_the_fix(make, error, pattern):
    "Before: 'in_channels=8' for channels-last, a batch-axis hint for numpy, raw conv errors."
    with pytest.raises(error, match=pattern):
        small()(make())
