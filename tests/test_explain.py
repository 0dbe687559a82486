"""Tests for vit_lit.explain: attention maps, rollout, mean attention distance, positional
similarity and filter components, on constructed attention whose answer is known by hand, against
Hugging Face's eager attention and timm's explicit attention, and on bad input."""
import math
import warnings

import pytest
import torch

from conftest import shake
from vit_lit import ViT
from vit_lit.convert import from_hf, from_timm, hf_config, timm_config
from vit_lit.explain import (attention_maps, attention_rollout, filter_components,
                             mean_attention_distance, patch_distances, position_similarity)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # tqdm's IProgress warning on timm's import
    from timm.models.vision_transformer import VisionTransformer
    from transformers import ViTConfig, ViTForImageClassification

SIZES = dict(image_size=12, patch_size=4, channels=1, num_classes=10, dim=16, depth=3, heads=2,
             mlp_dim=32)


def small(**kw) -> ViT:
    torch.manual_seed(0)
    return ViT(**{**SIZES, **kw}).eval()


def images(b=2, c=1, s=12) -> torch.Tensor:
    return torch.rand(b, c, s, s, generator=torch.Generator().manual_seed(1))


def constant(weights: torch.Tensor, depth=2, heads=3, b=2) -> torch.Tensor:
    "The same (N, N) attention in every image, block and head: (b, depth, heads, N, N)."
    return weights.expand(b, depth, heads, *weights.shape).clone()



# --- attention maps -------------------------------------------------------------------------

def test_maps_shape_rows_and_fused_path_kept():
    vit = small()
    maps = attention_maps(vit, images())
    assert maps.shape == (2, 3, 2, 10, 10)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 3, 2, 10), atol=1e-6)
    assert not maps.requires_grad
    assert all(block.attn.fused for block in vit.blocks)


def test_maps_equal_hugging_face_eager_attentions():
    torch.manual_seed(0)
    config = ViTConfig(**hf_config(ViT(**SIZES)), attn_implementation="eager")
    hf = shake(ViTForImageClassification(config), 0.5)
    x = images()
    with torch.no_grad():
        theirs = hf(pixel_values=x, output_attentions=True).attentions
    ours = attention_maps(from_hf(hf), x)
    assert len(theirs) == SIZES["depth"]
    assert torch.stack(theirs, dim=1).std() > 0.01      # far from uniform: a real comparison
    assert torch.allclose(ours, torch.stack(theirs, dim=1), atol=1e-5)
    # the list of blocks Hugging Face returns is accepted as it is
    assert torch.allclose(attention_rollout(theirs), attention_rollout(ours), atol=1e-5)


def test_maps_equal_timm_explicit_attention():
    torch.manual_seed(0)
    model = shake(VisionTransformer(**timm_config(ViT(**SIZES))), 0.5)
    seen = []
    handles = []
    for block in model.blocks:
        block.attn.fused_attn = False  # timm's explicit path, whose weights pass attn_drop
        handles.append(block.attn.attn_drop.register_forward_hook(
            lambda m, a, out: seen.append(out)))
    x = images()
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    assert torch.allclose(attention_maps(from_timm(model), x), torch.stack(seen, dim=1),
                          atol=1e-5)


# --- attention rollout ----------------------------------------------------------------------

def test_rollout_of_identity_attention_is_identity():
    eye = constant(torch.eye(10))
    for fusion in ("mean", "max", "min"):
        assert torch.equal(attention_rollout(eye, head_fusion=fusion), torch.eye(10).expand(2, 10, 10))


def test_rollout_by_hand_two_blocks_three_tokens():
    # CLS, token 1, token 2; block 1: CLS reads tokens 1 and 2; block 2: CLS reads token 1 only
    w1 = torch.tensor([[0.0, 0.5, 0.5], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    w2 = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    maps = torch.stack([w1, w2])[None, :, None]                 # (1, 2, 1, 3, 3)
    # A = (W + I) / 2 in each block; rollout = A2 @ A1, worked out by hand
    by_hand = torch.tensor([[0.25, 0.625, 0.125], [0.125, 0.8125, 0.0625], [0.0, 0.0, 1.0]])
    assert torch.allclose(attention_rollout(maps)[0], by_hand)


def test_rollout_rows_sum_to_one_for_every_fusion_and_discard():
    maps = attention_maps(shake(small(), 0.5), images())
    for fusion in ("mean", "max", "min"):
        for ratio in (0.0, 0.5, 0.9):
            r = attention_rollout(maps, head_fusion=fusion, discard_ratio=ratio)
            assert r.shape == (2, 10, 10) and (r >= 0).all()
            assert torch.allclose(r.sum(-1), torch.ones(2, 10), atol=1e-5)


def test_rollout_head_fusion_and_discard_by_hand():
    # one block, two heads on a 2x2 grid (N = 5); fusion picks per weight, discard zeroes the weakest
    h1 = torch.full((5, 5), 0.2)
    h2 = torch.eye(5)
    maps = torch.stack([h1, h2])[None, None]                    # (1, 1, 2, 5, 5)
    for fusion, fused in (("mean", (h1 + h2) / 2), ("max", torch.maximum(h1, h2)),
                          ("min", torch.minimum(h1, h2))):
        a = fused + torch.eye(5)
        assert torch.allclose(attention_rollout(maps, head_fusion=fusion)[0],
                              a / a.sum(-1, keepdim=True))
    # discard 0.75: the weakest 15 of the 20 weights outside the CLS column become 0
    w = torch.rand(5, 5, generator=torch.Generator().manual_seed(0))
    w = w / w.sum(-1, keepdim=True)
    one = w[None, None, None]
    kept = attention_rollout(one, discard_ratio=0.75)[0]
    flat = w[:, 1:].flatten()
    cut = flat.sort().values[15]
    expected = torch.cat([w[:, :1], torch.where(w[:, 1:] >= cut, w[:, 1:], 0.0)], dim=1)
    expected = expected + torch.eye(5)
    assert torch.allclose(kept, expected / expected.sum(-1, keepdim=True))


# --- mean attention distance ----------------------------------------------------------------

def test_distance_of_identity_attention_is_zero():
    d = mean_attention_distance(constant(torch.eye(10)), patch_size=4)
    assert d.shape == (2, 3) and torch.equal(d, torch.zeros(2, 3))


def test_distance_of_uniform_attention_on_a_2x2_grid_by_hand():
    # from any patch of a 2x2 grid: itself 0, two neighbours p, the diagonal p * sqrt(2)
    p = 4
    d = mean_attention_distance(constant(torch.full((5, 5), 0.2)), patch_size=p)
    assert torch.allclose(d, torch.full((2, 3), p * (2 + math.sqrt(2)) / 4))


@pytest.mark.parametrize("k", [1, 3, 7])
def test_distance_of_uniform_attention_is_the_mean_pairwise_distance(k):
    n, p = k * k + 1, 2
    pairs = [math.dist((p * (i // k), p * (i % k)), (p * (j // k), p * (j % k)))
             for i in range(k * k) for j in range(k * k)]
    d = mean_attention_distance(constant(torch.full((n, n), 1 / n)), patch_size=p)
    assert torch.allclose(d, torch.full((2, 3), sum(pairs) / len(pairs)), atol=1e-5)


def test_distance_ignores_the_weight_on_cls():
    # each patch gives 0.9 to CLS and 0.1 to its right neighbour (or left, at the edge): distance p
    w = torch.zeros(5, 5)
    w[:, 0] = 0.9
    for i, j in ((1, 2), (2, 1), (3, 4), (4, 3)):
        w[i, j] = 0.1
    w[0, 0] = 1.0
    assert torch.allclose(mean_attention_distance(constant(w), patch_size=3), torch.full((2, 3), 3.0))


def test_patch_distances():
    d = patch_distances(3, 4)
    assert d.shape == (9, 9) and d[0, 8] == pytest.approx(8 * math.sqrt(2)) and d[4, 5] == 4


# --- positional similarity, filter components -----------------------------------------------

def test_position_similarity_by_hand():
    vit = small()
    with torch.no_grad():
        vit.embed.pos_embed.zero_()
        vit.embed.pos_embed[0, 1:, 0] = torch.arange(9.0) - 4    # patches 0-3 +, 4 zero, 5-8 -
        vit.embed.pos_embed[0, 5, 1] = 1.0                         # patch 4 along another axis
    s = position_similarity(vit)
    assert s.shape == (9, 3, 3)
    assert s[0, 0, 0] == pytest.approx(1) and s[0, 2, 2] == pytest.approx(-1)
    assert s[4].flatten().tolist() == pytest.approx([0, 0, 0, 0, 1, 0, 0, 0, 0])


def test_filter_components_are_the_principal_axes():
    vit = small(channels=2)
    g = torch.Generator().manual_seed(0)
    # 16 filters (2 x 4 x 4) that vary mostly along one direction, a little along another
    a, b = torch.randn(2, 32, generator=g)
    a, b = a / a.norm(), b - (b @ a) * a / (a @ a)
    b = b / b.norm()
    coeffs = torch.randn(16, 2, generator=g) * torch.tensor([10.0, 1.0])
    with torch.no_grad():
        vit.embed.patch_embed.proj.weight.copy_((coeffs @ torch.stack([a, b]) + 3.0).view(16, 2, 4, 4))
    comps = filter_components(vit, 2)
    assert comps.shape == (2, 2, 4, 4)
    flat = comps.flatten(1)
    assert torch.allclose(flat @ flat.T, torch.eye(2), atol=1e-5)
    for comp, axis in zip(flat, (a, b)):
        assert abs(comp @ axis) == pytest.approx(1, abs=1e-4)
        assert comp[comp.abs().argmax()] > 0


# --- bad input ------------------------------------------------------------------------------

def test_not_a_vit():
    for call in (lambda: attention_maps(torch.nn.Linear(2, 2), images()),
                 lambda: position_similarity(torch.nn.Linear(2, 2)),
                 lambda: filter_components(torch.nn.Linear(2, 2), 2)):
        with pytest.raises(TypeError, match="a timm VisionTransformer or a Hugging Face "
                                            "ViTForImageClassification, got Linear"):
            call()


def test_timm_and_hugging_face_models_are_converted():
    torch.manual_seed(0)
    timm_model = shake(VisionTransformer(**timm_config(small())), 0.5)
    hf = shake(ViTForImageClassification(ViTConfig(**hf_config(small()))), 0.5)
    for model, convert in ((timm_model, from_timm), (hf, from_hf)):
        ref = convert(model)
        assert torch.equal(attention_maps(model, images()), attention_maps(ref, images()))
        assert torch.equal(position_similarity(model), position_similarity(ref))
        assert torch.equal(filter_components(model, 2), filter_components(ref, 2))


@pytest.mark.parametrize("x, shape", [(images(c=3), r"\(2, 3, 12, 12\)"),
                                      (images(s=16), r"\(2, 1, 16, 16\)"),
                                      (images()[0], r"\(1, 12, 12\)")])
def test_images_that_do_not_fit(x, shape):
    with pytest.raises(ValueError, match=r"shaped \(B, 1, 12, 12\), got " + shape + ".*resize"):
        attention_maps(small(), x)


def test_unknown_head_fusion():
    with pytest.raises(ValueError, match="unknown head_fusion 'average'; use one of 'mean'"):
        attention_rollout(constant(torch.eye(5)), head_fusion="average")


@pytest.mark.parametrize("ratio", [-0.1, 1, 1.5, True, "0.5"])
def test_discard_ratio_outside_range(ratio):
    with pytest.raises(ValueError, match=r"discard_ratio must be a number in \[0, 1\), got"):
        attention_rollout(constant(torch.eye(5)), discard_ratio=ratio)


@pytest.mark.parametrize("n", [1, 3, 9, 49])
def test_maps_not_a_square_grid_plus_one(n):
    with pytest.raises(ValueError, match=f"got N = {n}; pass the maps of a ViT"):
        mean_attention_distance(constant(torch.eye(n)), 4)


def test_maps_of_the_wrong_rank_and_bad_k():
    with pytest.raises(ValueError, match=r"\(B, depth, heads, N, N\).*got \(5, 5\)"):
        attention_rollout(torch.eye(5))
    with pytest.raises(ValueError, match="patch_size must be a positive integer, got 0"):
        mean_attention_distance(constant(torch.eye(5)), 0)
    with pytest.raises(ValueError, match="k must be a whole number from 1 to 16 .* got 17"):
        filter_components(small(), 17)


def test_float64_maps_stay_float64():
    maps = attention_maps(small().double(), images().double())
    assert maps.dtype == torch.float64
    assert attention_rollout(maps).dtype == torch.float64
    assert mean_attention_distance(maps, 4).dtype == torch.float64
