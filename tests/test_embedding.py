import pytest
import torch
from einops import rearrange
from torch import nn

from vit_lit.embedding import PatchEmbedding, ViTEmbedding, prepend_cls_token
from vit_lit.patches import patchify


def linear_from_conv(embed: PatchEmbedding, order: str) -> nn.Linear:
    "An nn.Linear holding the Conv2d's weights, flattened in the given axis order."
    weight = embed.proj.weight
    linear = nn.Linear(weight[0].numel(), weight.shape[0])
    with torch.no_grad():
        linear.weight.copy_(rearrange(weight, f"d c p1 p2 -> d {order}"))
        linear.bias.copy_(embed.proj.bias)
    return linear


def test_conv_equals_linear_on_flattened_patches():
    torch.manual_seed(0)
    embed = PatchEmbedding(patch_size=8, in_channels=3, dim=16, image_size=32)
    images = torch.randn(2, 3, 32, 32)
    linear = linear_from_conv(embed, "(p1 p2 c)")
    torch.testing.assert_close(embed(images), linear(patchify(images, 8)), atol=1e-5, rtol=0)


def test_weight_order_must_match_patchify():
    torch.manual_seed(0)
    embed = PatchEmbedding(patch_size=4, in_channels=3, dim=8, image_size=8)
    images = torch.randn(1, 3, 8, 8)
    wrong = linear_from_conv(embed, "(c p1 p2)")
    assert not torch.allclose(embed(images), wrong(patchify(images, 4)), atol=1e-3)


@pytest.mark.parametrize("image_size,p,c,d,b", [(224, 16, 3, 64, 2), (8, 4, 1, 32, 5), (32, 8, 3, 16, 1), (6, 1, 2, 4, 3)])
def test_shapes(image_size, p, c, d, b):
    n = (image_size // p) ** 2
    embed = ViTEmbedding(image_size=image_size, patch_size=p, in_channels=c, dim=d)
    images = torch.rand(b, c, image_size, image_size)
    assert embed.patch_embed.grid == (image_size // p, image_size // p)
    assert embed.patch_embed.num_patches == n
    assert embed.patch_embed(images).shape == (b, n, d)
    assert embed.cls_token.shape == (1, 1, d)
    assert embed.pos_embed.shape == (1, n + 1, d)
    assert embed(images).shape == (b, n + 1, d)


def test_patch_order_is_row_major():
    # a 1x1 conv-like embedding that reads the mean of each patch: patch k must be row k // w, column k % w
    embed = PatchEmbedding(patch_size=2, in_channels=1, dim=1, image_size=4)
    with torch.no_grad():
        embed.proj.weight.fill_(0.25)
        embed.proj.bias.zero_()
    images = torch.arange(16.0).reshape(1, 1, 4, 4)
    assert embed(images)[0, :, 0].tolist() == [2.5, 4.5, 10.5, 12.5]


def test_cls_token_is_shared_and_gets_gradients():
    torch.manual_seed(0)
    embed = ViTEmbedding(image_size=16, patch_size=4, in_channels=3, dim=8)
    images = torch.rand(4, 3, 16, 16)
    out = embed(images)
    for i in range(4):
        torch.testing.assert_close(out[i, 0], embed.cls_token[0, 0] + embed.pos_embed[0, 0], atol=0, rtol=0)
    out[:, 0].sum().backward()
    assert torch.equal(embed.cls_token.grad, torch.full((1, 1, 8), 4.0))
    assert torch.equal(embed.pos_embed.grad[0, 0], torch.full((8,), 4.0))
    assert torch.count_nonzero(embed.pos_embed.grad[0, 1:]) == 0


def test_prepend_cls_token_by_hand():
    cls = torch.tensor([0.5, -0.5, 0.0]).reshape(1, 1, 3)
    tokens = torch.tensor([[[1.0, 0, 0], [0, 1, 0]], [[0, 0, 1], [1, 1, 1]]])
    out = prepend_cls_token(tokens, cls)
    assert out.tolist() == [[[0.5, -0.5, 0], [1, 0, 0], [0, 1, 0]], [[0.5, -0.5, 0], [0, 0, 1], [1, 1, 1]]]


def test_positions_are_added_to_every_row_including_cls():
    torch.manual_seed(0)
    embed = ViTEmbedding(image_size=8, patch_size=4, in_channels=1, dim=6)
    images = torch.rand(3, 1, 8, 8)
    without = prepend_cls_token(embed.patch_embed(images), embed.cls_token)
    assert torch.equal(embed(images), without + embed.pos_embed)
    assert not torch.equal(embed(images)[:, 0], without[:, 0])


def test_init_std_and_truncation_bounds():
    torch.manual_seed(0)
    embed = ViTEmbedding(image_size=224, patch_size=16, in_channels=3, dim=768)
    pos, cls = embed.pos_embed.detach(), embed.cls_token.detach()
    assert abs(pos.std().item() - 0.02) < 5e-4 and abs(pos.mean().item()) < 5e-4
    assert abs(cls.std().item() - 0.02) < 3e-3
    # trunc_normal_'s bounds are absolute (+-2), i.e. 100 std here: values beyond 2 std are kept,
    # about 4.6% of them as for a plain normal distribution
    assert pos.abs().max() <= 2
    assert 0.035 < (pos.abs() > 0.04).float().mean() < 0.055


def self_attention(seed: int = 0):
    torch.manual_seed(seed)
    attention = nn.MultiheadAttention(16, num_heads=2, batch_first=True)
    return lambda x: attention(x, x, x, need_weights=False)[0]


def test_without_positions_shuffling_patches_permutes_the_output():
    torch.manual_seed(0)
    embed = ViTEmbedding(image_size=32, patch_size=8, in_channels=3, dim=16)
    encode = self_attention()
    images = torch.rand(2, 3, 32, 32)
    order = torch.randperm(16)
    shuffled = rearrange(patchify(images, 8)[:, order], "b (h w) (p1 p2 c) -> b c (h p1) (w p2)", h=4, p1=8, p2=8)
    tokens = prepend_cls_token(embed.patch_embed(images), embed.cls_token)
    tokens_shuffled = prepend_cls_token(embed.patch_embed(shuffled), embed.cls_token)
    torch.testing.assert_close(tokens_shuffled[:, 1:], tokens[:, 1:][:, order], atol=1e-6, rtol=0)
    out, out_shuffled = encode(tokens), encode(tokens_shuffled)
    torch.testing.assert_close(out_shuffled[:, 1:], out[:, 1:][:, order], atol=1e-5, rtol=0)
    torch.testing.assert_close(out_shuffled[:, 0], out[:, 0], atol=1e-5, rtol=0)
    with_pos, with_pos_shuffled = encode(embed(images)), encode(embed(shuffled))
    assert not torch.allclose(with_pos_shuffled[:, 1:], with_pos[:, 1:][:, order], atol=1e-5)


@pytest.mark.parametrize("image_size,p,c,d", [(224, 16, 3, 768), (224, 16, 3, 64), (8, 4, 1, 32), (32, 8, 3, 16)])
def test_parameter_counts_match_the_formula(image_size, p, c, d):
    n = (image_size // p) ** 2
    embed = ViTEmbedding(image_size=image_size, patch_size=p, in_channels=c, dim=d)
    assert sum(q.numel() for q in embed.patch_embed.parameters()) == p * p * c * d + d
    assert embed.cls_token.numel() == d
    assert embed.pos_embed.numel() == (n + 1) * d
    assert sum(q.numel() for q in embed.parameters()) == p * p * c * d + d + d + (n + 1) * d


def test_vit_b16_counts_by_hand():
    embed = ViTEmbedding(image_size=224, patch_size=16, in_channels=3, dim=768)
    assert sum(q.numel() for q in embed.parameters()) == 590_592 + 768 + 151_296 == 742_656


def test_matches_timm_names_shapes_and_outputs():
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    reference = timm.models.vision_transformer.VisionTransformer(
        img_size=32, patch_size=8, in_chans=3, embed_dim=16, depth=1, num_heads=2, num_classes=0).eval()
    embed = ViTEmbedding(image_size=32, patch_size=8, in_channels=3, dim=16)
    ours = {k: v.shape for k, v in embed.state_dict().items()}
    theirs = {k: v.shape for k, v in reference.state_dict().items() if k in ours}
    assert ours == theirs
    embed.load_state_dict({k: v for k, v in reference.state_dict().items() if k in ours})
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        expected = reference._pos_embed(reference.patch_embed(images))
        torch.testing.assert_close(embed(images), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("mode", ["", "jax"])
def test_timm_starts_the_cls_token_at_1e6_and_positions_at_002(mode):
    "Chapter 03 says timm (since 0.6.5) draws the CLS token with std 1e-6, not the 0.02 of its pos_embed."
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    model = timm.models.vision_transformer.VisionTransformer(
        img_size=32, patch_size=4, embed_dim=768, depth=1, num_heads=2, num_classes=0, weight_init=mode)
    cls_std, pos_std = model.cls_token.std().item(), model.pos_embed.std().item()
    assert 0.5e-6 < cls_std < 2e-6 and abs(pos_std - 0.02) < 0.002


embed16 = PatchEmbedding(patch_size=16, in_channels=3, dim=8)


@pytest.mark.parametrize(
    "make,error,pattern",
    [
        (lambda: embed16(torch.rand(1, 1, 224, 224)), ValueError, r"built for 3 channels but got 1; .*in_channels=1"),
        (lambda: embed16(torch.rand(2, 4, 224, 224)), ValueError, r"built for 3 channels but got 4; pass 3-channel images"),
        (lambda: embed16(torch.rand(1, 3, 32, 32)), ValueError, r"built for 224x224 images but got 32x32; resize .* image_size=32"),
        (lambda: embed16(torch.rand(1, 3, 224, 160)), ValueError, r"got 224x160; resize the images to 224x224"),
        (lambda: embed16(torch.rand(3, 224, 224)), ValueError, r"\(B, C, H, W\), got \(3, 224, 224\); .*unsqueeze\(0\)"),
        (lambda: embed16(torch.rand(0, 3, 224, 224)), ValueError, r"batch of 0 images, shape \(0, 3, 224, 224\); pass at least one image"),
        (lambda: embed16(torch.zeros(1, 3, 224, 224, dtype=torch.uint8)), TypeError, r"floating-point.*torch\.uint8.*\.float\(\)"),
        (lambda: embed16([[0.0]]), ValueError, r"got list"),
        (lambda: ViTEmbedding(image_size=8, patch_size=4, in_channels=1, dim=4)(torch.rand(2, 3, 8, 8)), ValueError, r"built for 1 channels but got 3"),
        (lambda: PatchEmbedding(patch_size=16, in_channels=3, dim=8, image_size=30), ValueError, r"image_size 30 is not divisible by patch_size 16; .*multiple of 16"),
        (lambda: PatchEmbedding(patch_size=0, in_channels=3, dim=8), ValueError, r"patch_size must be a positive integer, got 0"),
        (lambda: PatchEmbedding(patch_size=16, in_channels=3, dim=8.0), ValueError, r"dim must be a positive integer, got 8\.0"),
        (lambda: PatchEmbedding(patch_size=16, in_channels=True, dim=8), ValueError, r"in_channels must be a positive integer, got True"),
        (lambda: prepend_cls_token(torch.rand(196, 8), torch.zeros(1, 1, 8)), ValueError, r"\(B, n, d\), got \(196, 8\); .*unsqueeze\(0\)"),
        (lambda: prepend_cls_token(torch.rand(2, 196, 8), torch.zeros(1, 8)), ValueError, r"shape \(1, 1, 8\) .* got \(1, 8\); .*torch\.zeros\(1, 1, 8\)"),
        (lambda: prepend_cls_token(torch.rand(2, 196, 8), torch.zeros(1, 1, 4)), ValueError, r"width 8, got \(1, 1, 4\)"),
    ],
)
def test_bad_input_names_problem_value_and_fix(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()
