"""vit_lit.explore: the interactive attention figure. Bad input, a self-contained and deterministic
fragment whose data decodes back to the input maps, and its script run in Node
(tests/explore_dom.cjs) as a reader would use it: click, arrow key, map, image, CLS."""
import base64
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from vit_lit.explore import attention_explorer
from vit_lit.i18n import get_lang, set_lang
from vit_lit.viz import CMAPS

ROOT = Path(__file__).resolve().parents[1]


def attention(b: int, n: int, seed: int = 0) -> torch.Tensor:
    "Random attention weights (b, n, n), rows summing to 1."
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(3 * torch.randn(b, n, n, generator=g), -1)


def digits(b: int = 3, side: int = 28, channels: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.rand(b, channels, side, side, generator=g)


@pytest.fixture(scope="module")
def example():
    "3 images of 28x28, patch 4 (7x7 grid, N = 50), 4 blocks x 4 heads + rollout = 17 maps."
    images = digits()
    maps = {f"block {k // 4}, head {k % 4}": attention(3, 50, k) for k in range(16)}
    maps["rollout"] = attention(3, 50, 99)
    return images, maps


def payload(fragment: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" class="vx-data">(.*?)</script>', fragment).group(1))


def test_data_decodes_to_the_input(example):
    "Patch weights within the uint8 step (scale / 510), scale the row's largest rounded up, CLS to 3 digits."
    images, maps = example
    data = payload(attention_explorer(images, maps, patch_size=4)._repr_html_())
    assert [m["name"] for m in data["maps"]] == list(maps)
    assert data["grid"] == [7, 7] and data["size"] == [28, 28] and data["channels"] == 1
    for entry, m in zip(data["maps"], maps.values()):
        m = m.double().numpy()
        q = np.frombuffer(base64.b64decode(entry["q"]), np.uint8).reshape(3, 50, 49)
        scale = np.array(entry["scale"]).reshape(3, 50, 1)
        largest = m[..., 1:].max(-1, keepdims=True)
        assert (scale >= largest).all() and (scale <= largest * 1.01).all()
        assert (np.abs(q / 255 * scale - m[..., 1:]) <= scale / 510 + 1e-12).all()
        assert (q.max(-1) >= 250).all()  # each row uses the whole range
        assert np.allclose(np.array(entry["cls"]).reshape(3, 50), m[..., 0], rtol=5e-3, atol=0)
    pixels = np.frombuffer(base64.b64decode(data["images"]), np.uint8).reshape(3, 28, 28, 1)
    assert (np.abs(pixels / 255 - images.permute(0, 2, 3, 1).numpy()) <= 0.5 / 255 + 1e-7).all()
    lut = np.frombuffer(base64.b64decode(data["colormap"]), np.uint8).reshape(256, 3)
    assert CMAPS["attention"] == "magma" and lut[0].tolist() == [0, 0, 4] and lut[-1].tolist() == [252, 253, 191]


def test_self_contained_and_small(example):
    "Nothing loads from anywhere: no URL, no src or href, no fetch; 3 images x 17 maps stay far below 1 MB."
    images, maps = example
    fragment = attention_explorer(images, maps, patch_size=4, labels=[7, 2, 1])._repr_html_()
    assert "://" not in fragment  # base64 has no ':'; no URL of any scheme
    for pattern in (r"\bsrc\s*=", r"\bhref\s*=", r"<link\b", r"<img\b", r"<iframe\b", r"@import", r"url\(",
                    r"\bfetch\(", r"XMLHttpRequest", r"WebSocket", r"\bimport\("):
        assert not re.search(pattern, fragment), pattern
    assert fragment.startswith('<div class="vit-explorer" id="vit-explorer-') and fragment.endswith("</div>")
    assert fragment.count("<script") == 2 and len(fragment.encode()) < 400_000


def test_deterministic_and_distinct(example):
    "The same input gives the same bytes; other data or another language gives another id."
    images, maps = example
    first = attention_explorer(images, maps, patch_size=4)._repr_html_()
    again = attention_explorer(images.clone(), {k: v.clone() for k, v in maps.items()}, patch_size=4)._repr_html_()
    assert first == again
    ids = {re.search(r'id="([^"]+)"', f).group(1) for f in (
        first,
        attention_explorer(images, dict(list(maps.items())[:3]), patch_size=4)._repr_html_(),
        attention_explorer(images, maps, patch_size=4, labels=["a", "b", "c"])._repr_html_())}
    assert len(ids) == 3


def test_labels_in_the_edition_language(example):
    images, maps = example
    before = get_lang()
    try:
        set_lang("ko")
        ko = attention_explorer(images, maps, patch_size=4)
        set_lang("en")
        en = attention_explorer(images, maps, patch_size=4)
    finally:
        set_lang(before)
    assert payload(ko.html)["text"]["patch"] == "{n}번 패치" and payload(en.html)["text"]["patch"] == "patch {n}"
    assert "자바스크립트" in ko.html and "JavaScript" in en.html and ko.lang == "ko"
    assert re.fullmatch(r"AttentionExplorer\(3 images, 17 maps, 7x7 patch grid, \d+ kB of HTML\)", repr(en))


def test_rgb_and_non_square_images():
    "RGB images of 8x12 with patch 4 make a 2x3 grid, N = 7."
    images = digits(2, 12, 3)[:, :, :8, :]
    data = payload(attention_explorer(images, {"m": attention(2, 7)}, patch_size=4)._repr_html_())
    assert data["grid"] == [2, 3] and data["channels"] == 3
    assert len(base64.b64decode(data["images"])) == 2 * 8 * 12 * 3


BAD = [
    # (what, images, maps, patch_size, labels, words in the message)
    ("images not 4-D", digits()[0], None, 4, None, ["4-D (B, C, H, W)", "(1, 28, 28)", "images[None]"]),
    ("images of 2 channels", digits(3, 28, 2), None, 4, None, ["2 channels", "grey (1) or RGB (3)"]),
    ("images outside [0, 1]", digits() * 255, None, 4, None, ["[0, 1]", "x / 255"]),
    ("empty dict", digits(), {}, 4, None, ["non-empty dict", "{}", "model.attention_maps"]),
    ("a tensor, not a dict", digits(), attention(3, 50), 4, None, ["non-empty dict"]),
    ("a label that is no string", digits(), {3: attention(3, 50)}, 4, None, ["non-empty strings", "3"]),
    ("maps of all heads", digits(), {"b0": attention(3, 50)[:, None].expand(3, 4, 50, 50)}, 4, None,
     ["maps['b0']", "(3, 4, 50, 50)", "m[:, h]", "m.mean(1)"]),
    ("maps not square", digits(), {"b0": attention(3, 50)[:, :, :49]}, 4, None, ["(3, 50, 49)", "(B, N, N)"]),
    ("maps of another batch", digits(), {"b0": attention(2, 50)}, 4, None, ["2 images", "images has 3"]),
    ("N not a square grid plus one", digits(), {"b0": attention(3, 51)}, 4, None,
     ["N = 51", "N - 1 = 50 is not a square grid", "CLS token first"]),
    ("grid not matching the images", digits(), {"b0": attention(3, 17)}, 4, None,
     ["N = 17", "28x28 with patch_size 4 make a 7x7 grid, N = 50", "fit patch_size 7"]),
    ("image size not divisible", digits(), {"b0": attention(3, 50)}, 5, None, ["28x28", "patch_size 5"]),
    ("patch_size not an integer", digits(), {"b0": attention(3, 50)}, 4.0, None, ["positive integer", "4.0"]),
    ("scores, not weights", digits(), {"b0": torch.randn(3, 50, 50)}, 4, None, ["negative", "after the softmax"]),
    ("NaN weights", digits(), {"b0": attention(3, 50).masked_fill(torch.eye(50, dtype=torch.bool), float("nan"))},
     4, None, ["non-finite"]),
    ("labels of another length", digits(), {"b0": attention(3, 50)}, 4, [1, 2], ["2 entries for 3 images"]),
]


def test_grey_images_drawn_as_they_are_unless_invert(tmp_path, example):
    """By default a pixel of 1 is painted white and 0 black (the data as it is, MNIST's white digits on black);
    invert=True paints 1 - pixel (dark on white, like the book's gray_r figures). Issue 33, item 6."""
    images, maps = example
    plain = attention_explorer(images, maps, patch_size=4)
    inverted = attention_explorer(images, maps, patch_size=4, invert=True)
    decoded = [np.frombuffer(base64.b64decode(payload(e.html)["images"]), np.uint8).reshape(3, 28, 28) / 255
               for e in (plain, inverted)]
    assert np.abs(decoded[0] - images[:, 0].numpy()).max() <= 0.5 / 255 + 1e-7
    assert np.abs(decoded[1] - (1 - images[:, 0].numpy())).max() <= 0.5 / 255 + 1e-7
    for explorer, grey in ((plain, images), (inverted, 1 - images)):
        [fig] = run_script(explorer.save(tmp_path / "page.html"))
        start = fig["steps"][0]  # the CLS query of image 0 over the first map
        assert [c["centre"] for c in start["cells"]] == expected_centres(payload(explorer.html), 0, 0, 0, start["width"])
        centre = grey[0, 0, 2, 2].item() * 255  # the pixel under cell (0, 0)'s centre
        lut = np.frombuffer(base64.b64decode(payload(explorer.html)["colormap"]), np.uint8).reshape(256, 3)
        heat = lut[np.frombuffer(base64.b64decode(payload(explorer.html)["maps"][0]["q"]), np.uint8)[0]]
        assert np.allclose(start["cells"][0]["centre"], 0.4 * centre + 0.6 * heat, atol=1.5)
    with pytest.raises(ValueError, match="invert must be True or False, got 'yes'"):
        attention_explorer(images, maps, patch_size=4, invert="yes")


@pytest.mark.parametrize("what, images, maps, patch_size, labels, words", BAD, ids=[b[0] for b in BAD])
def test_bad_input(what, images, maps, patch_size, labels, words):
    maps = {"b0": attention(3, 50)} if maps is None else maps
    with pytest.raises(ValueError) as error:
        attention_explorer(images, maps, patch_size=patch_size, labels=labels)
    for w in words:
        assert w in str(error.value), f"{what}: {w!r} not in {error.value}"


def run_script(page: Path) -> list[dict]:
    "The explorers of a page, used in Node by tests/explore_dom.cjs: what each showed at each step."
    node = shutil.which("node")
    assert node, "Node.js is needed (it runs tools/ too): install nodejs"
    run = subprocess.run([node, str(ROOT / "tests" / "explore_dom.cjs"), str(page)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def expected_centres(data: dict, image: int, m: int, token: int, width: int) -> list[list[int]]:
    """The colour the script must paint at the centre of each patch cell: the packed image's grey value as it is,
    60 % of the heat over it."""
    (h, w), p, (gh, gw) = data["size"], data["patch"], data["grid"]
    s, k = width // w, gh * gw
    pixels = np.frombuffer(base64.b64decode(data["images"]), np.uint8).reshape(-1, h, w)
    q = np.frombuffer(base64.b64decode(data["maps"][m]["q"]), np.uint8).reshape(-1, k + 1, k)[image, token]
    lut = np.frombuffer(base64.b64decode(data["colormap"]), np.uint8).reshape(256, 3)
    out = []
    for r in range(gh):
        for c in range(gw):
            y, x = int((r + 0.5) * p * s), int((c + 0.5) * p * s)
            grey = int(pixels[image, y // s, x // s])
            out.append([int(np.rint((1 - 0.6) * grey + 0.6 * int(v))) for v in lut[q[r * gw + c]]])
    return out


def two_digits(shown: str, value: float) -> bool:
    "Is `shown` the value to 2 significant digits?"
    if value == 0:
        return float(shown) == 0
    return abs(float(shown) - value) <= 0.5 * 10 ** (math.floor(math.log10(value)) - 1) * (1 + 1e-9)


def test_script_as_a_reader_uses_it(tmp_path, example):
    "Click, arrow key, map, image and CLS each change what the figure shows, and paint the right colours."
    images, maps = example
    explorer = attention_explorer(images, maps, patch_size=4, labels=[7, 2, 1])
    data = payload(explorer.html)
    [fig] = run_script(explorer.save(tmp_path / "page.html"))
    assert not fig["nojs"] and fig["thumbs"] == 3 and fig["thumb"] == [28, 28] and fig["options"] == list(maps)
    steps = {s["what"]: s for s in fig["steps"]}
    expect = {"start": (0, 0, 0), "click at (0.5, 0.3)": (0, 0, 1 + 2 * 7 + 3), "ArrowRight": (0, 0, 1 + 2 * 7 + 4),
              "last map": (0, 16, 19), "last image": (2, 16, 19), "CLS": (2, 16, 0)}
    for what, (image, m, token) in expect.items():
        s = steps[what]
        assert (s["image"], s["map"], s["query"]) == (image, m, token), what
        assert s["width"] == s["height"] == 28 * 13  # 13 canvas pixels per image pixel: 364 wide
        assert [c["centre"] for c in s["cells"]] == expected_centres(data, image, m, token, s["width"]), what
        assert s["pressed"] == [str(i == image).lower() for i in range(3)] and s["cls"] == str(token == 0).lower()
        row = image * 50 + token
        assert s["toCls"].startswith("weight on the CLS token ") and s["bar"].startswith("0")
        assert two_digits(s["toCls"].split()[-1], data["maps"][m]["cls"][row])
        assert two_digits(s["bar"][1:], data["maps"][m]["scale"][row])
    assert steps["start"]["status"] == "query: the CLS token"
    assert steps["click at (0.5, 0.3)"]["status"] == "query: patch 17"
    assert steps["click at (0.5, 0.3)"]["cells"][17]["corner"] == [0, 229, 255]  # the chosen patch, outlined
    assert steps["start"]["cells"][17]["corner"] != [0, 229, 255]


def test_several_explorers_on_one_page(tmp_path, example):
    "Each figure finds its own data, even two with the same data (and so the same id)."
    images, maps = example
    one = attention_explorer(images, maps, patch_size=4)
    other = attention_explorer(images[:2], {"only": attention(2, 50)}, patch_size=4)
    page = one.save(tmp_path / "page.html")
    page.write_text(page.read_text().replace(one.html, one.html + other.html + one.html))
    figs = run_script(page)
    assert [f["options"] for f in figs] == [list(maps), ["only"], list(maps)]
    assert [f["thumbs"] for f in figs] == [3, 2, 3]
    assert all(not f["nojs"] and f["steps"][0]["query"] == 0 and f["steps"][-1]["image"] == f["thumbs"] - 1
               for f in figs)


def test_no_javascript_lives_in_python_strings():
    "The book's and the library's JavaScript are .js files (vit_lit/js/), read or served as they are."
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    found = [str(p.relative_to(root)) for folder in ("vit_lit", "book") for p in sorted((root / folder).glob("*.py"))
             if any(s in p.read_text(encoding="utf-8") for s in ("document.", "addEventListener", "=> {"))]
    assert found == []
    assert (root / "vit_lit" / "js" / "explorer.js").is_file()
