"Tests for vit_lit.block (guide steps 10.9-11): Mlp, Block, Encoder."
from functools import partial

import pytest
import torch
from timm.models.vision_transformer import Block as TimmBlock
from torch import nn

from vit_lit import Attention, Block, Encoder, Mlp
from vit_lit.attention import attend, split_qkv


def tokens(b=2, n=7, d=32, seed=0):
    return torch.randn(b, n, d, generator=torch.Generator().manual_seed(seed))


def timm_block(dim, heads, mlp_ratio, eps):
    return TimmBlock(dim, heads, mlp_ratio=mlp_ratio, qkv_bias=True,
                     norm_layer=partial(nn.LayerNorm, eps=eps))


def randomise(module, seed=1):
    "Random values in every parameter, LayerNorm's included (they start at 1 and 0)."
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return module


CONFIGS = [  # dim, heads, mlp_ratio, tokens, eps
    (32, 4, 4.0, 7, 1e-6),
    (48, 3, 2.0, 1, 1e-12),
    (64, 8, 4.0, 197, 1e-6),
    (24, 1, 1.5, 5, 1e-12),
    (96, 12, 3.0, 17, 1e-6),
]


@pytest.mark.parametrize("dim,heads,ratio,n,eps", CONFIGS)
@pytest.mark.parametrize("fused", [True, False])
def test_block_equals_timm(dim, heads, ratio, n, eps, fused):
    ours = randomise(Block(dim, heads, mlp_ratio=ratio, eps=eps, fused=fused))
    theirs = timm_block(dim, heads, ratio, eps)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = tokens(n=n, d=dim)
    assert torch.allclose(ours(x), theirs(x), atol=1e-5, rtol=0)


@pytest.mark.parametrize("eps,other", [(1e-6, 1e-12), (1e-12, 1e-6)])
def test_block_equals_timm_where_eps_matters(eps, other):
    # tokens with a spread of 1e-3 (variance 1e-6): here the two epsilons differ
    ours = randomise(Block(32, 4, eps=eps))
    x = 1e-3 * tokens(d=32)
    same, wrong = timm_block(32, 4, 4.0, eps), timm_block(32, 4, 4.0, other)
    same.load_state_dict(ours.state_dict(), strict=True)
    wrong.load_state_dict(ours.state_dict(), strict=True)
    assert torch.allclose(ours(x), same(x), atol=1e-5, rtol=0)
    assert not torch.allclose(ours(x), wrong(x), atol=1e-2, rtol=0)


def test_block_mlp_dim_equals_ratio():
    assert Block(32, 4, 80).mlp.fc1.out_features == 80
    assert Block(32, 4, mlp_ratio=2.5).mlp.fc1.out_features == 80
    assert Block(32, 4).mlp.fc1.out_features == 128


def test_eps_reaches_both_norms():
    block = Block(32, 4, eps=1e-12)
    assert block.norm1.eps == block.norm2.eps == 1e-12
    assert Block(32, 4).norm1.eps == 1e-6


def test_eps_matters_for_nearly_constant_tokens():
    # tokens with a tiny spread: eps 1e-6 damps them, eps 1e-12 does not
    x = 1.0 + 1e-4 * tokens(d=32)
    a = Block(32, 4, eps=1e-6).norm1(x)
    b = Block(32, 4, eps=1e-12).norm1(x)
    assert (a.std(-1) < 0.2).all() and torch.allclose(b.std(-1, unbiased=False),
                                                     torch.ones(2, 7), atol=1e-2)


def test_encoder_equals_timm_sequential():
    depth, dim, heads = 3, 48, 6
    ours = randomise(Encoder(depth, dim, heads, mlp_ratio=2.0, eps=1e-12))
    theirs = nn.Sequential(*(timm_block(dim, heads, 2.0, 1e-12)
                             for _ in range(depth)))
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = tokens(n=11, d=dim)
    assert torch.allclose(ours(x), theirs(x), atol=1e-5, rtol=0)


def test_encoder_hidden_and_maps():
    enc = randomise(Encoder(3, 32, 4))
    x = tokens(d=32)
    out, hidden, maps = enc(x, return_hidden=True, return_attention=True)
    assert len(hidden) == len(maps) == 3 and torch.equal(hidden[-1], out)
    assert torch.allclose(hidden[1], enc[1](hidden[0]), atol=1e-6)
    assert all(m.shape == (2, 4, 7, 7) for m in maps)
    assert torch.allclose(out, enc(x), atol=1e-5)
    _, hidden_only, none = enc(x, return_hidden=True)
    assert none is None and len(hidden_only) == 3


def test_parameter_names_are_timms():
    names = set(dict(Encoder(2, 32, 4).named_parameters()))
    expected = {f"{i}.{p}" for i in range(2) for p in [
        "norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias",
        "attn.proj.weight", "attn.proj.bias", "norm2.weight", "norm2.bias",
        "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"]}
    assert names == expected


@pytest.mark.parametrize("d", [32, 768])
def test_parameter_count_formula(d):
    block = Block(d, 4)
    assert sum(p.numel() for p in block.parameters()) == 12 * d * d + 13 * d


def test_layernorm_by_hand():
    x = torch.tensor([[1.0, 2.0, 3.0], [2.0, 2.0, 8.0]])
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased: divide by 3
    by_hand = (x - mean) / torch.sqrt(var + 1e-6)
    # row 0: mean 2, variance 2/3; row 1: mean 4, variance 8
    assert torch.allclose(by_hand[0], torch.tensor([-1.0, 0, 1]) * 1.5 ** 0.5, atol=1e-5)
    assert torch.allclose(by_hand[1], torch.tensor([-1.0, -1, 2]) / 2 ** 0.5, atol=1e-5)
    assert torch.allclose(by_hand, nn.LayerNorm(3, eps=1e-6)(x), atol=1e-6)
    norm = randomise(nn.LayerNorm(3, eps=1e-6))
    assert torch.allclose(by_hand * norm.weight + norm.bias, norm(x), atol=1e-6)


def test_mlp_is_per_token_and_uses_exact_gelu():
    mlp = randomise(Mlp(16, 40))
    x = tokens(d=16)
    h = mlp.fc1(x)
    exact = 0.5 * h * (1 + torch.erf(h / 2 ** 0.5))
    assert torch.allclose(mlp(x), mlp.fc2(exact), atol=1e-6)
    assert torch.allclose(mlp(x)[:, 3], mlp(x[:, 3:4])[:, 0], atol=1e-6)


@pytest.mark.parametrize("fused", [True, False])
def test_block_is_permutation_equivariant(fused):
    block = randomise(Block(32, 4, fused=fused))
    x = tokens(n=9, d=32)
    perm = torch.randperm(9, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(block(x[:, perm]), block(x)[:, perm], atol=1e-5)
    assert not torch.allclose(block(x[:, perm]), block(x), atol=1e-3)


def test_return_attention_maps_are_a_recomputation():
    block = randomise(Block(32, 4))
    x = tokens(n=9, d=32)
    out, maps = block(x, return_attention=True)
    q, k, v = split_qkv(block.attn.qkv(block.norm1(x)), 4)
    _, expected = attend(q, k, v)
    assert maps.shape == (2, 4, 9, 9)
    assert torch.allclose(maps, expected, atol=1e-6)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 4, 9), atol=1e-6)
    assert torch.allclose(out, block(x), atol=1e-5)


@pytest.mark.parametrize("make,words", [
    (lambda: Block(64, 4, 0), ["mlp_dim", "0", "mlp_ratio"]),
    (lambda: Block(64, 4, -256), ["mlp_dim", "-256"]),
    (lambda: Block(64, 4, 2.5), ["mlp_dim", "2.5"]),
    (lambda: Mlp(64, 0), ["hidden_dim", "0"]),
    (lambda: Block(64, 4, mlp_ratio=0), ["mlp_ratio", "0", "4.0"]),
    (lambda: Block(64, 4, mlp_ratio=-2.0), ["mlp_ratio", "-2.0"]),
    (lambda: Block(64, 4, mlp_ratio=0.001), ["mlp_ratio", "0.001", "0.015625"]),
    (lambda: Block(64, 5), ["64", "heads 5", "divisors", "4"]),
    (lambda: Block(64, 0), ["heads", "0"]),
    (lambda: Block(0, 4), ["dim", "0"]),
    (lambda: Encoder(0, 64, 4), ["depth", "0", "12"]),
    (lambda: Encoder(-3, 64, 4), ["depth", "-3"]),
    (lambda: Encoder(2.0, 64, 4), ["depth", "2.0"]),
    (lambda: Encoder(2, 64, 5), ["heads 5"]),
])
def test_bad_construction(make, words):
    with pytest.raises(ValueError) as e:
        make()
    assert all(w in str(e.value) for w in words), str(e.value)


@pytest.mark.parametrize("module", [
    lambda: Block(32, 4), lambda: Encoder(2, 32, 4)])
@pytest.mark.parametrize("x,words", [
    (torch.zeros(7, 32), ["(B, N, dim)", "(7, 32)", "unsqueeze"]),
    (torch.zeros(1, 2, 7, 32), ["(B, N, dim)", "(1, 2, 7, 32)"]),
    (torch.zeros(2, 7, 16), ["dim=32", "width 16", "(2, 7, 16)"]),
    ([[0.0] * 32], ["(B, N, dim)", "list"]),
])
def test_bad_tokens(module, x, words):
    with pytest.raises(ValueError) as e:
        module()(x)
    assert all(w in str(e.value) for w in words), str(e.value)


@pytest.mark.parametrize("dim, heads, n, bias", [(32, 4, 7, True), (24, 1, 2, False),
                                                  (48, 3, 17, True)])
@pytest.mark.parametrize("fused", [True, False])
def test_cls_only_is_row_0_of_forward(dim, heads, n, bias, fused):
    torch.manual_seed(0)
    block = randomise(Block(dim, heads, qkv_bias=bias, fused=fused)).eval()
    x = tokens(b=3, n=n, d=dim)
    out = block(x, cls_only=True)
    assert out.shape == (3, 1, dim)
    torch.testing.assert_close(out, block(x)[:, :1], atol=1e-5, rtol=0)
    out, maps = block(x, return_attention=True, cls_only=True)
    torch.testing.assert_close(out, block(x)[:, :1], atol=1e-5, rtol=0)
    assert maps.shape == (3, heads, n, n)


def test_cls_only_checks_its_input():
    with pytest.raises(ValueError, match="width dim=32"):
        Block(32, 4)(torch.randn(1, 5, 16), cls_only=True)


def test_shared_checks_live_in_one_module():
    "The size, heads and token checks are defined once, in vit_lit.checks (issue 22)."
    import inspect

    from vit_lit import attention, block, checks, embedding, model
    for module in (attention, block, embedding, model):
        for name in ("_check_positive_int", "_check_heads", "_check_tokens"):
            if hasattr(module, name):
                assert getattr(module, name) is getattr(checks, name), (module, name)
    source = "".join(inspect.getsource(m) for m in (attention, block, embedding, model))
    assert "divisible by heads" not in source and "divisible by num_heads" not in source
    with pytest.raises(ValueError) as a:
        Attention(64, 5)
    with pytest.raises(ValueError) as b:
        Block(64, 5)
    assert str(a.value).replace("num_heads", "heads") == str(b.value)
