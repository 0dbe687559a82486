"Tests for vit_lit.attention (guide steps 10.1-10.8)."
import pytest
import torch
from torch import nn

from vit_lit import Attention, attend, attention_weights, split_qkv


def tokens(b=2, n=7, d=32, seed=0):
    return torch.randn(b, n, d, generator=torch.Generator().manual_seed(seed))


def made(dim=32, num_heads=4, **kw):
    torch.manual_seed(0)
    return Attention(dim, num_heads, **kw).eval()


def test_split_qkv_layout_is_three_heads_dims():
    # (three h d_head) on the last axis: q of head 1 is columns 8..15, k of head 0 is 32..39, v of head 3 is 88..95
    qkv = torch.arange(96.0).expand(1, 2, 96)
    q, k, v = split_qkv(qkv, num_heads=4)
    assert q.shape == k.shape == v.shape == (1, 4, 2, 8)
    assert q[0, 1, 0].tolist() == list(range(8, 16))
    assert k[0, 0, 0].tolist() == list(range(32, 40))
    assert v[0, 3, 1].tolist() == list(range(88, 96))


def test_split_qkv_one_head_is_three_column_blocks():
    x = tokens(d=48)
    q, k, v = split_qkv(x)
    assert torch.equal(q[:, 0], x[..., :16]) and torch.equal(k[:, 0], x[..., 16:32]) and torch.equal(v[:, 0], x[..., 32:])


def test_attention_weights_by_hand():
    q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    k = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    scores = torch.tensor([[1.0, 0.0], [2.0, 2.0]]) / 2 ** 0.5
    expected = scores.exp() / scores.exp().sum(-1, keepdim=True)
    assert torch.allclose(attention_weights(q, k), expected)


def test_rows_sum_to_one_and_are_positive():
    q, k, _ = split_qkv(tokens(d=96), num_heads=4)
    w = attention_weights(q, k)
    assert w.shape == (2, 4, 7, 7)
    assert torch.allclose(w.sum(-1), torch.ones(2, 4, 7)) and (w > 0).all()


def test_attend_loop_over_rows_equals_matrix_product():
    q, k, v = split_qkv(tokens(d=48))
    context, w = attend(q, k, v)
    loop = torch.stack([sum(w[..., i, j, None] * v[..., j, :] for j in range(v.shape[-2])) for i in range(q.shape[-2])], -2)
    assert torch.allclose(context, loop, atol=1e-6)


@pytest.mark.parametrize("dim,heads", [(32, 1), (32, 4), (64, 8), (48, 3)])
def test_explicit_and_fused_paths_agree(dim, heads):
    attn, x = made(dim, heads), tokens(d=dim)
    fused = attn(x)
    explicit, maps = attn(x, return_attention=True)
    assert maps.shape == (2, heads, 7, 7)
    assert torch.allclose(fused, explicit, atol=1e-5)
    attn.fused = False
    assert torch.allclose(attn(x), explicit, atol=1e-6)


@pytest.mark.parametrize("qkv_bias", [True, False])
def test_equals_torch_multihead_attention(qkv_bias):
    attn, x = made(qkv_bias=qkv_bias), tokens()
    mha = nn.MultiheadAttention(32, 4, bias=True, batch_first=True).eval()
    with torch.no_grad():
        mha.in_proj_weight.copy_(attn.qkv.weight)
        mha.in_proj_bias.copy_(attn.qkv.bias if qkv_bias else torch.zeros(96))
        mha.out_proj.weight.copy_(attn.proj.weight)
        mha.out_proj.bias.copy_(attn.proj.bias)
    expected, expected_maps = mha(x, x, x, need_weights=True, average_attn_weights=False)
    out, maps = attn(x, return_attention=True)
    assert torch.allclose(out, expected, atol=1e-5)
    assert torch.allclose(maps, expected_maps, atol=1e-6)
    assert torch.allclose(attn(x), expected, atol=1e-5)


def test_one_head_is_the_single_head_computation():
    attn, x = made(32, 1), tokens()
    q, k, v = split_qkv(attn.qkv(x))
    context, w = attend(q, k, v)
    out, maps = attn(x, return_attention=True)
    assert torch.allclose(out, attn.proj(context[:, 0]), atol=1e-6) and torch.equal(maps, w)


def test_heads_are_independent_slices():
    # head 2 of a 4-head layer is single-head attention on its own 8 columns of q, k and v
    attn, x = made(), tokens()
    _, maps = attn(x, return_attention=True)
    qkv = attn.qkv(x)
    q, k = qkv[..., 16:24], qkv[..., 32 + 16:32 + 24]
    assert torch.allclose(maps[:, 2], attention_weights(q, k), atol=1e-6)


def test_permuting_tokens_permutes_the_output():
    attn, x = made(), tokens()
    order = torch.randperm(7, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(attn(x[:, order]), attn(x)[:, order], atol=1e-5)
    out, maps = attn(x, return_attention=True)
    _, maps_p = attn(x[:, order], return_attention=True)
    assert torch.allclose(maps_p, maps[:, :, order][..., order], atol=1e-6)


def test_shape_parameters_and_gradients():
    attn, x = made(64, 8), tokens(d=64)
    assert (attn.head_dim, sum(p.numel() for p in attn.parameters())) == (8, 4 * 64 * 64 + 4 * 64)
    assert sum(p.numel() for p in Attention(64, 8, qkv_bias=False).parameters()) == 4 * 64 * 64 + 64
    x.requires_grad_(True)
    attn(x).sum().backward()
    assert attn(x).shape == x.shape and x.grad is not None and attn.qkv.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("dim,heads,match", [
    (64, 5, "dim 64 is not divisible by num_heads 5; choose num_heads among the divisors of 64, e.g. 4"),
    (30, 4, "dim 30 is not divisible by num_heads 4.*e.g. 3"),
    (0, 1, "dim must be a positive integer, got 0"),
    (32, 0, "num_heads must be a positive integer, got 0"),
    (32.0, 4, "dim must be a positive integer, got 32.0"),
])
def test_bad_construction(dim, heads, match):
    with pytest.raises(ValueError, match=match):
        Attention(dim, heads)


def test_wrong_width_is_a_clear_error():
    with pytest.raises(ValueError, match=r"built for tokens of width dim=32 but got width 16 \(shape \(2, 7, 16\)\).*dim=16"):
        made()(tokens(d=16))


@pytest.mark.parametrize("bad,match", [
    (torch.zeros(7, 32), r"tokens shaped \(B, N, dim\), got \(7, 32\).*unsqueeze\(0\)"),
    (torch.zeros(1, 2, 7, 32), r"got \(1, 2, 7, 32\)"),
    ([[0.0] * 32], "got list"),
])
def test_wrong_rank_is_a_clear_error(bad, match):
    with pytest.raises(ValueError, match=match):
        made()(bad)


def test_split_qkv_errors():
    with pytest.raises(ValueError, match=r"num_heads 5 does not divide dim 32 \(the last axis of qkv, 96, is 3 x dim\); "
                                         "choose num_heads among the divisors of 32"):
        split_qkv(torch.zeros(1, 2, 96), num_heads=5)
    with pytest.raises(ValueError, match=r"last axis of qkv must be 3 x dim .*got 32; pass the output of the \(dim -> 3\*dim\)"):
        split_qkv(torch.zeros(1, 2, 32))
    with pytest.raises(ValueError, match=r"\(B, N, 3\*dim\) tensor, got shape \(2, 96\)"):
        split_qkv(torch.zeros(2, 96))
    with pytest.raises(ValueError, match="num_heads must be a positive integer, got 0"):
        split_qkv(torch.zeros(1, 2, 96), num_heads=0)


def test_mismatched_qkv_shapes():
    with pytest.raises(ValueError, match=r"queries and keys must have the same shape, got \(1, 3, 4\) and \(1, 3, 5\)"):
        attention_weights(torch.zeros(1, 3, 4), torch.zeros(1, 3, 5))
    context, _ = attend(torch.zeros(1, 3, 4), torch.zeros(1, 3, 4), torch.ones(1, 3, 6))  # values may be wider
    assert torch.equal(context, torch.ones(1, 3, 6))
    with pytest.raises(ValueError, match=r"every key needs one value: keys \(1, 3, 4\) and values \(1, 2, 4\)"):
        attend(torch.zeros(1, 3, 4), torch.zeros(1, 3, 4), torch.zeros(1, 2, 4))
