"""ViT's small-data options (vit_lit.variants): values known by hand, timm parity both ways, the
refusals of the converters, config and state-dict round trips, training on every option."""
import math
import warnings

import pytest
import torch
from einops import rearrange

from conftest import shake
from vit_lit import ViT, create_vit
from vit_lit.attention import Attention, split_qkv
from vit_lit.convert import from_timm, hf_config, timm_config, to_hf, to_timm
from vit_lit.variants import (ConvStem, LSAttention, ShiftedPatchTokenization, VARIANT_DEFAULTS,
                              diagonal_shifts, locality_scores, sincos_pos_embed)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # tqdm's IProgress warning on timm's import
    from timm.models.deit import VisionTransformerDistilled
    from timm.models.vision_transformer import VisionTransformer

SMALL = dict(image_size=8, patch_size=2, num_classes=3, channels=1, dim=16, depth=2, heads=2,
             mlp_dim=32)
OPTIONS = [dict(pool="avg"), dict(pos_embed="sincos"), dict(stem="conv"), dict(spt=True),
           dict(lsa=True), dict(distill_token=True),
           dict(pos_embed="sincos", stem="conv", spt=True, lsa=True, distill_token=True),
           dict(pool="avg", pos_embed="sincos", stem="conv", spt=True, lsa=True)]
IDS = ["-".join(f"{k}={v}" for k, v in o.items()) for o in OPTIONS]
# what timm holds: avg pooling without a class token, fixed positions (as values), DeiT's token
TIMM_OPTIONS = [dict(pool="avg"), dict(pos_embed="sincos"), dict(distill_token=True),
                dict(pool="avg", pos_embed="sincos"), dict(distill_token=True, pos_embed="sincos")]


def images(b: int = 3, c: dict = SMALL) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.rand(b, c["channels"], c["image_size"], c["image_size"], generator=g)


# ---- fixed sin-cos positions ----------------------------------------------------------------

def test_sincos_table_by_hand():
    table = sincos_pos_embed(grid=2, dim=8, prefix=1)[0]  # 1 zero row + 4 patches, row by row
    assert table.shape == (5, 8) and not table[0].any()
    # patch p = (row y, column x); halves: x then y; each [sin w0, sin w1, cos w0, cos w1],
    # w0 = 1, w1 = 10000^(-1/2) = 0.01
    s, c = math.sin, math.cos
    expected = {1: (0, 0), 2: (0, 1), 3: (1, 0), 4: (1, 1)}
    for row, (y, x) in expected.items():
        want = [s(x), s(x * 0.01), c(x), c(x * 0.01), s(y), s(y * 0.01), c(y), c(y * 0.01)]
        torch.testing.assert_close(table[row], torch.tensor(want), atol=1e-7, rtol=0)
    assert table[1].tolist() == [0, 0, 1, 1, 0, 0, 1, 1]  # (0, 0): sin 0 = 0, cos 0 = 1


def test_sincos_is_a_buffer_in_the_model_and_fixed():
    vit = ViT(**SMALL, pos_embed="sincos")
    assert "embed.pos_embed" in dict(vit.named_buffers())
    assert "embed.pos_embed" not in dict(vit.named_parameters())
    torch.testing.assert_close(vit.embed.pos_embed, sincos_pos_embed(4, 16, prefix=1), atol=0,
                               rtol=0)
    assert "embed.pos_embed" in vit.state_dict()  # so it converts to timm's pos_embed


def test_sincos_needs_dim_divisible_by_4():
    with pytest.raises(ValueError, match="dim divisible by 4.*dim=18.*dim=20"):
        sincos_pos_embed(2, 18)


# ---- Shifted Patch Tokenization -------------------------------------------------------------

def test_diagonal_shifts_by_hand():
    image = torch.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])[None, None]
    copies = diagonal_shifts(image, 1)[0]
    assert copies.shape == (5, 3, 3)
    expected = [
        [[1, 2, 3], [4, 5, 6], [7, 8, 9]],  # the image
        [[5, 6, 0], [8, 9, 0], [0, 0, 0]],  # content moved up-left
        [[0, 4, 5], [0, 7, 8], [0, 0, 0]],  # up-right
        [[0, 0, 0], [2, 3, 0], [5, 6, 0]],  # down-left
        [[0, 0, 0], [0, 1, 2], [0, 4, 5]],  # down-right
    ]
    assert copies.tolist() == expected


def test_spt_is_layernorm_and_linear_of_the_shifted_patches():
    torch.manual_seed(0)
    spt = ShiftedPatchTokenization(patch_size=4, in_channels=2, dim=16, image_size=8)
    x = torch.rand(2, 2, 8, 8)
    shifted = diagonal_shifts(x, 2)  # half of the patch
    patches = rearrange(shifted, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=4, p2=4)
    assert patches.shape == (2, 4, 4 * 4 * 10)
    want = torch.nn.functional.layer_norm(patches, (160,)) @ spt.proj.weight.T + spt.proj.bias
    torch.testing.assert_close(spt(x), want)
    with pytest.raises(ValueError, match="patch_size must be at least 2, got 1"):
        ShiftedPatchTokenization(1, 1, 16, 8)


# ---- convolutional stem ---------------------------------------------------------------------

def test_conv_stem_layers_and_grid():
    stem = ConvStem(patch_size=8, in_channels=3, dim=64, image_size=32)
    convs = [m for m in stem.proj if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (3, 16, (3, 3), (2, 2)), (16, 32, (3, 3), (2, 2)), (32, 64, (3, 3), (2, 2)),
        (64, 64, (1, 1), (1, 1))]
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in stem.proj) == 3
    assert stem(torch.rand(2, 3, 32, 32)).shape == (2, 16, 64)  # the 4x4 grid of patchify
    with pytest.raises(ValueError, match="power of 2.*got 6"):
        ConvStem(6, 3, 64, 36)


def test_conv_stem_token_sees_its_neighbourhood_only():
    stem = ConvStem(patch_size=4, in_channels=1, dim=8, image_size=16).eval()
    x = torch.rand(1, 1, 16, 16)
    y = x.clone()
    y[..., 8:, 8:] = 0  # the bottom-right 2x2 patches of the 4x4 grid
    a, b = stem(x)[0].reshape(4, 4, 8), stem(y)[0].reshape(4, 4, 8)
    assert torch.equal(a[:1], b[:1]) and torch.equal(a[:, :1], b[:, :1])  # far tokens unchanged
    assert not torch.equal(a[3, 3], b[3, 3])


# ---- Locality Self-Attention ----------------------------------------------------------------

def test_lsa_diagonal_is_zero_and_scores_start_as_plain_attention():
    torch.manual_seed(0)
    lsa = LSAttention(dim=16, num_heads=2)
    x = torch.randn(2, 5, 16)
    _, weights = lsa(x, return_attention=True)
    assert torch.equal(weights.diagonal(dim1=-2, dim2=-1), torch.zeros(2, 2, 5))
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 2, 5))
    q, k, _ = split_qkv(lsa.qkv(x), 2)
    scores = locality_scores(q, k, lsa.temperature)
    plain = (q * 8 ** -0.5) @ k.transpose(-2, -1)  # head_dim 8: the usual scaling
    off = ~torch.eye(5, dtype=torch.bool)
    torch.testing.assert_close(scores[..., off], plain[..., off], atol=1e-6, rtol=0)
    assert torch.isinf(scores[..., ~off]).all()
    assert isinstance(lsa.temperature, torch.nn.Parameter) and lsa.temperature.item() == pytest.approx(8 ** 0.5)


def test_lsa_fused_explicit_and_cls_only_agree():
    torch.manual_seed(0)
    lsa = LSAttention(dim=16, num_heads=2)
    with torch.no_grad():
        lsa.temperature.fill_(0.7)  # away from its initial value
    x = torch.randn(2, 5, 16)
    explicit, _ = lsa(x, return_attention=True)
    torch.testing.assert_close(lsa(x), explicit, atol=1e-6, rtol=0)
    torch.testing.assert_close(lsa(x, cls_only=True), explicit[:, :1], atol=1e-6, rtol=0)
    lsa.fused = False
    torch.testing.assert_close(lsa(x, cls_only=True), explicit[:, :1], atol=1e-6, rtol=0)
    plain = Attention(16, 2)
    plain.load_state_dict(lsa.state_dict(), strict=False)
    assert not torch.allclose(plain(x), explicit, atol=1e-3)  # the mask matters
    with pytest.raises(ValueError, match="at least 2 tokens, got 1"):
        lsa(x[:, :1])


def test_vit_lsa_attention_maps_have_a_zero_diagonal():
    vit = shake(ViT(**SMALL, lsa=True))
    maps = vit.attention_maps(images())
    assert all(type(b.attn) is LSAttention for b in vit.blocks)
    for m in maps:
        assert torch.equal(m.diagonal(dim1=-2, dim2=-1), torch.zeros(3, 2, 17))


# ---- pooling and the CLS-only shortcut ------------------------------------------------------

def test_avg_pool_is_the_normed_mean_of_the_patch_tokens():
    vit = shake(ViT(**SMALL, pool="avg"), scale=1.0)
    assert not hasattr(vit.embed, "cls_token") and vit.num_prefix_tokens == 0
    x = images()
    with torch.no_grad():
        tokens = vit.blocks(vit.embed(x))
        assert tokens.shape == (3, 16, 16)  # 16 patches, no CLS token
        want = vit.head(vit.norm(tokens.mean(dim=1)))
        torch.testing.assert_close(vit(x), want, atol=1e-6, rtol=0)
        torch.testing.assert_close(vit.forward_features(x), tokens)  # norm after the mean
        torch.testing.assert_close(vit.forward_head(tokens, pre_logits=True),
                                   vit.norm(tokens.mean(dim=1)))


@pytest.mark.parametrize("opts", [dict(pool="avg"), dict(distill_token=True)])
def test_cls_only_shortcut_is_not_taken_when_the_head_reads_more(opts):
    vit = shake(ViT(**SMALL, **opts), scale=1.0)
    assert not vit._cls_only_unobserved()
    x = images()
    with torch.no_grad():
        full = vit.forward_head(vit.forward_features(x))
        torch.testing.assert_close(vit(x), full, atol=1e-6, rtol=0)
        if "pool" in opts:  # what the shortcut would give: the mean of row 0 alone
            cut = vit.forward_head(vit.blocks(vit.embed(x), cls_only=True))
            assert not torch.allclose(cut, full, atol=1e-3)


def test_cls_only_shortcut_still_taken_for_embedding_options():
    vit = ViT(**SMALL, pos_embed="sincos", stem="conv", spt=True)
    assert vit._cls_only_unobserved()
    assert not ViT(**SMALL, lsa=True)._cls_only_unobserved()  # LSA runs every row


# ---- DeiT's distillation token --------------------------------------------------------------

def test_distillation_token_and_its_head():
    vit = shake(ViT(**SMALL, distill_token=True), scale=1.0)
    assert vit.num_prefix_tokens == 2 and vit.embed.pos_embed.shape == (1, 18, 16)
    x = images()
    with torch.no_grad():
        tokens = vit.forward_features(x)
        want = (vit.head(tokens[:, 0]) + vit.head_dist(tokens[:, 1])) / 2
        torch.testing.assert_close(vit(x), want, atol=1e-6, rtol=0)
    vit.train()
    assert isinstance(vit(x), torch.Tensor)  # as timm: the mean unless distilled training is on
    vit.set_distilled_training()
    cls, dist = vit(x)
    torch.testing.assert_close(cls, vit.head(vit.forward_features(x)[:, 0]))
    torch.testing.assert_close(dist, vit.head_dist(vit.forward_features(x)[:, 1]))
    assert isinstance(vit.eval()(x), torch.Tensor)  # eval: the mean again
    with pytest.raises(ValueError, match="distill_token=True"):
        ViT(**SMALL).set_distilled_training()
    vit.reset_classifier(5)
    assert vit.head_dist.out_features == 5 and vit(x).shape == (3, 5)


def test_distillation_in_training_as_timm():
    vit = shake(ViT(**SMALL, distill_token=True), scale=1.0)
    timm = VisionTransformerDistilled(**timm_config(vit))
    timm.load_state_dict(to_timm(vit))
    vit.train().set_distilled_training()
    timm.train().set_distilled_training()
    x = images()
    for ours, theirs in zip(vit(x), timm(x)):
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


# ---- timm parity and refusals ---------------------------------------------------------------

@pytest.mark.parametrize("opts", TIMM_OPTIONS, ids=lambda o: "-".join(map(str, o.values())))
def test_parity_with_timm_both_ways(opts):
    vit = shake(ViT(**SMALL, **opts), scale=0.5)
    cls = VisionTransformerDistilled if opts.get("distill_token") else VisionTransformer
    timm = cls(**timm_config(vit)).eval()
    timm.load_state_dict(to_timm(vit))  # strict
    x = images()
    with torch.no_grad():
        torch.testing.assert_close(vit(x), timm(x), atol=1e-5, rtol=0)
        torch.testing.assert_close(vit.forward_features(x), timm.forward_features(x), atol=1e-5,
                                   rtol=0)
        shake(timm, scale=0.3, seed=1)
        back = from_timm(timm).eval()
        torch.testing.assert_close(back(x), timm(x), atol=1e-5, rtol=0)
        again = from_timm(timm.state_dict(), heads=2).eval()
        torch.testing.assert_close(again(x), timm(x), atol=1e-5, rtol=0)
    want = {k: v for k, v in opts.items() if k != "pos_embed"}  # timm's positions are learned
    assert {k: back.config[k] for k in back.config if k in VARIANT_DEFAULTS} == want


def test_forward_intermediates_split_the_prefix_tokens_as_timm():
    for opts in (dict(pool="avg"), dict(distill_token=True)):
        vit = shake(ViT(**SMALL, **opts))
        cls = VisionTransformerDistilled if opts.get("distill_token") else VisionTransformer
        timm = cls(**timm_config(vit)).eval()
        timm.load_state_dict(to_timm(vit))
        x = images()
        with torch.no_grad():
            ours = vit.forward_intermediates(x, return_prefix_tokens=True, norm=True)
            theirs = timm.forward_intermediates(x, return_prefix_tokens=True, norm=True)
        torch.testing.assert_close(ours[0], theirs[0], atol=1e-5, rtol=0)
        assert len(ours[1]) == len(theirs[1]) == 2
        for a, b in zip(ours[1], theirs[1]):
            if vit.num_prefix_tokens:  # pairs (patch tokens, prefix rows)
                assert a[1].shape[1] == vit.num_prefix_tokens == 2
            else:  # no prefix: the patch tokens alone, as timm
                a, b = (a,), (b,)
            for u, w in zip(a, b):
                torch.testing.assert_close(u, w, atol=1e-5, rtol=0)


@pytest.mark.parametrize("opts,named", [
    (dict(stem="conv"), "stem='conv'"), (dict(spt=True), "spt=True"),
    (dict(lsa=True), "lsa=True"), (dict(stem="conv", lsa=True), "stem='conv', lsa=True")])
def test_timm_refuses_what_it_cannot_hold(opts, named):
    vit = ViT(**SMALL, **opts)
    for convert in (to_timm, timm_config):
        with pytest.raises(ValueError, match="timm's VisionTransformer has no equivalent of") as e:
            convert(vit)
        assert named in str(e.value) and "convert a ViT built without it" in str(e.value)


@pytest.mark.parametrize("opts,named", [
    (dict(pool="avg"), "pool='avg'"), (dict(distill_token=True), "distill_token=True"),
    (dict(stem="conv"), "stem='conv'"), (dict(spt=True), "spt=True"), (dict(lsa=True), "lsa=True")])
def test_hf_refuses_what_it_cannot_hold(opts, named):
    vit = ViT(**SMALL, **opts)
    for convert in (to_hf, hf_config):
        with pytest.raises(ValueError, match="Hugging Face's ViTForImageClassification has no") as e:
            convert(vit)
        assert named in str(e.value)


def test_hf_holds_sincos_positions_as_values():
    from transformers import ViTConfig, ViTForImageClassification
    vit = shake(ViT(**{**SMALL, "eps": 1e-12}, pos_embed="sincos"))
    hf = ViTForImageClassification(ViTConfig(**hf_config(vit))).eval()
    hf.load_state_dict(to_hf(vit))
    with torch.no_grad():
        torch.testing.assert_close(vit(images()), hf(images()).logits, atol=1e-5, rtol=0)


def test_from_timm_refuses_avg_pool_beside_a_class_token_or_without_its_norm():
    base = dict(img_size=8, patch_size=2, in_chans=1, embed_dim=16, depth=1, num_heads=2,
                num_classes=3)
    with pytest.raises(ValueError, match="global_pool='max'"):
        from_timm(VisionTransformer(**base, global_pool="max", class_token=False))
    with pytest.raises(ValueError, match="an average pool beside a class token"):
        from_timm(VisionTransformer(**base, global_pool="avg"))
    with pytest.raises(ValueError, match="no norm after the average pool"):
        from_timm(VisionTransformer(**base, global_pool="avg", class_token=False, fc_norm=False))


# ---- options: checks, config and state-dict round trips, training ---------------------------

@pytest.mark.parametrize("kw,match", [
    (dict(pool="max"), r"pool must be one of \('cls', 'avg'\), got 'max'"),
    (dict(pos_embed="rope"), "pos_embed must be one of"),
    (dict(stem="resnet"), "stem must be one of"),
    (dict(spt=1), "spt must be one of"),
    (dict(lsa="yes"), "lsa must be one of"),
    (dict(pool="avg", distill_token=True), "distill_token=True needs pool='cls'"),
    (dict(stem="conv", patch_size=3, image_size=9), "power of 2"),
])
def test_bad_options(kw, match):
    with pytest.raises(ValueError, match=match):
        ViT(**{**SMALL, **kw})


def test_default_config_is_unchanged():
    assert set(ViT(**SMALL).config) == set(SMALL) | {"eps", "qkv_bias"}
    assert not set(create_vit("vit_mnist_patch4_28").config) & set(VARIANT_DEFAULTS)


@pytest.mark.parametrize("opts", OPTIONS, ids=IDS)
def test_config_and_state_dict_round_trip(opts, tmp_path):
    from vit_lit import load_model, save_checkpoint
    vit = shake(ViT(**SMALL, **opts))
    assert {k: vit.config[k] for k in opts} == opts
    rebuilt = ViT(**vit.config)
    assert rebuilt.config == vit.config
    rebuilt.load_state_dict(vit.state_dict())  # strict
    x = images()
    assert torch.equal(rebuilt.eval()(x), vit(x))
    loaded = load_model(save_checkpoint(tmp_path / "v.safetensors", vit))
    assert loaded.config == vit.config and torch.equal(loaded(x), vit(x))
    made = create_vit("vit_digits_patch2_8", **opts)
    assert {k: made.config[k] for k in opts} == opts


@pytest.mark.parametrize("opts", OPTIONS, ids=IDS)
def test_training_forward_and_backward(opts):
    torch.manual_seed(0)
    vit = ViT(**SMALL, **opts).train()
    x, y = images(4), torch.tensor([0, 1, 2, 0])
    loss = torch.nn.functional.cross_entropy(vit(x), y)
    loss.backward()
    missing = [n for n, p in vit.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing, missing
    if opts.get("lsa"):
        assert vit.blocks[0].attn.temperature.grad != 0
    opt = torch.optim.SGD(vit.parameters(), lr=0.1)
    opt.step()
    assert torch.nn.functional.cross_entropy(vit(x), y) < loss


def test_trace_shapes_refuses_variants():
    from vit_lit import trace_shapes
    with pytest.raises(ValueError, match="trace_shapes follows the guide's ViT.*'pool': 'avg'"):
        trace_shapes(ViT(**SMALL, pool="avg"), images())
    assert len(trace_shapes(ViT(**SMALL), images())) == 15


def test_set_image_size_refuses_variants():
    with pytest.raises(ValueError, match="default embedding only"):
        ViT(**SMALL, pool="avg").set_image_size(16)
    with pytest.raises(ValueError, match="pretrained=True loads weights of fixed shapes, so pool"):
        create_vit("vit_mnist_patch4_28", pretrained=True, pool="avg")


# ---- DeiT's distillation in fit ------------------------------------------------------------

class Always(torch.nn.Module):
    "A teacher that answers class `k` for every image (one weight, to check it is not trained)."
    def __init__(self, k: int, n: int = SMALL["num_classes"]):
        super().__init__()
        self.k, self.n = k, n
        self.w = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return torch.nn.functional.one_hot(torch.full((len(x),), self.k), self.n).float() + self.w


def test_fit_distils_the_teacher_into_the_distillation_head():
    # labels all 0, a teacher that always says 2: the class head learns 0, the distillation head 2
    from vit_lit import fit
    torch.manual_seed(0)
    model, teacher = ViT(**SMALL, distill_token=True), Always(2).train()
    x = images(16)
    fit(model, (x, torch.zeros(16, dtype=torch.long)), epochs=20, batch_size=8, lr=3e-3,
        warmup_epochs=0, progress=False, teacher=teacher)
    assert model.distilled_training is False and teacher.training  # switched back after the run
    assert teacher.w.item() == 0 and teacher.w.grad is None
    model.set_distilled_training(True)
    cls, distilled = model.train()(x)
    assert (cls.argmax(-1) == 0).all() and (distilled.argmax(-1) == 2).all()


def test_fit_without_teacher_trains_both_heads_on_the_labels():
    # the baseline of the test above: no teacher, both heads learn the labels (0), not 2
    from vit_lit import fit
    torch.manual_seed(0)
    model, x = ViT(**SMALL, distill_token=True), images(16)
    fit(model, (x, torch.zeros(16, dtype=torch.long)), epochs=20, batch_size=8, lr=3e-3,
        warmup_epochs=0, progress=False)
    model.set_distilled_training(True)
    cls, distilled = model.train()(x)
    assert (cls.argmax(-1) == 0).all() and (distilled.argmax(-1) == 0).all()


@pytest.mark.parametrize("model, teacher, error, match", [
    (lambda: ViT(**SMALL), lambda: Always(1), ValueError,
     r"distillation token, got a ViT without one; build it with create_vit\(\.\.\., distill_token"),
    (lambda: ViT(**SMALL, distill_token=True), lambda: "cnn.pt", TypeError,
     "teacher must be a trained nn.Module .* got str"),
])
def test_fit_refuses_a_teacher_it_cannot_use(model, teacher, error, match):
    from vit_lit import fit
    with pytest.raises(error, match=match):
        fit(model(), (images(4), torch.zeros(4, dtype=torch.long)), epochs=1, teacher=teacher())
