"""Checks on the built book (_build/html), run by `make test` right after `make book`."""
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
LANGS = ("ko", "en")
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
PAGES = [TOC["root"]] + [c["file"] for c in TOC["chapters"]]
FOREIGN = re.compile(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]*"')
sys.path.insert(0, str(ROOT / "book"))
sys.path.insert(0, str(ROOT / "tools"))
import colab  # noqa: E402
import notebooks  # noqa: E402
import vitlit_book  # noqa: E402


def page(lang, name):
    path = HTML / lang / "nbs" / f"{name}.html"
    assert path.is_file(), f"{path} was not built: run `make book` first"
    return path.read_text(encoding="utf-8")


def search_index(lang):
    text = (HTML / lang / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


def test_chooser_links_both_editions():
    chooser = (HTML / "index.html").read_text(encoding="utf-8")
    for lang in LANGS:
        assert f'href="{lang}/nbs/index.html"' in chooser
        assert (HTML / lang / "nbs" / "index.html").is_file()
    assert (HTML / ".nojekyll").exists()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PAGES)
def test_page_links_to_itself_in_the_other_edition(lang, name):
    other = "en" if lang == "ko" else "ko"
    html = page(lang, name)
    assert f'href="../../{other}/nbs/{name}.html"' in html
    assert f'<html lang="{lang}"' in html


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_colab_button_and_no_tooling(lang, name):
    html = page(lang, name)
    cfg_url = re.search(r"https://github\.com/([^/\"]+)/([^/\"]+)", html)
    assert cfg_url, "no repository link"
    links = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', html)
    # The edition's own notebook (tools/colab.py), not the bilingual source in nbs/.
    assert links == [colab.colab_url(lang, name)]
    assert links[0].startswith(f"https://colab.research.google.com/github/{cfg_url[1]}/{cfg_url[2]}/blob/")
    assert (ROOT / colab.colab_path(lang, name)).is_file(), f"run `python tools/colab.py write`"
    text = re.sub(r"<[^>]+>", "", html)
    for leak in ("#| ", "#|export", "NBVAL_", "default_exp", "google.colab", "%pip install"):
        assert leak not in text, f"{leak!r} is visible on {lang}/{name}"


def prose(html):
    "The article's text, without code blocks and without the link to the other edition."
    article = html.split("<article", 1)[1].split("</article>", 1)[0]
    article = re.sub(r'<div class="highlight.*?</div>|<p class="vitlit-lang-bar">.*?</p>', "", article, flags=re.S)
    return re.sub(r"<[^>]+>", "", article)


@pytest.mark.parametrize("name", PAGES)
def test_each_edition_has_only_its_language(name):
    assert re.search(r"[\uac00-\ud7a3]{2}", prose(page("ko", name))), "Korean edition without Korean prose"
    # Only code (e.g. t(ko="패치", ...)) may carry Hangul in the English edition.
    assert re.findall(r"[\uac00-\ud7a3]+", prose(page("en", name))) == []


def test_korean_search_finds_words_of_body_text():
    index = search_index("ko")
    docnames = index["docnames"]
    for word in ("패치", "이미지", "평탄화", "레이블"):
        assert word in index["terms"], f"{word} is not in the Korean search index"
        docs = index["terms"][word]
        docs = docs if isinstance(docs, list) else [docs]
        assert any(docnames[d] != TOC["root"] for d in docs)
    # 패치 appears in the body of the data chapter only inside longer words (패치로, 패치를 ...).
    data = page("ko", "00_data")
    assert "패치" in data and docnames.index("nbs/00_data") in index["terms"]["패치"]


def test_korean_splitter_strips_particles_and_keeps_latin():
    words = vitlit_book.SearchKorean(options={}).split("이미지를 패치로 자릅니다 ViT를")
    for w in ("이미지", "패치", "자릅니다", "ViT"):
        assert w in words


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", [c["file"] for c in TOC["chapters"] if c["file"] not in notebooks.NOT_CHAPTERS])
def test_chapter_figures_are_on_the_page(lang, name):
    images = re.findall(r'<img[^>]+src="(\.\./_images/[^"]+\.png)"', page(lang, name))
    assert images, f"no figure on {lang}/{name}: did the kernel run with a non-inline matplotlib backend?"
    for src in images:
        assert (HTML / lang / "nbs" / src).is_file()


@pytest.mark.parametrize("name", PAGES)
def test_korean_lines_break_between_words(name):
    assert f"<style>{vitlit_book.KOREAN_CSS}</style>" in page("ko", name).split("</head>")[0]
    assert vitlit_book.KOREAN_CSS not in page("en", name)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_nothing_from_another_host(lang, name):
    "MathJax comes from the book itself; no script, style sheet or image from a CDN (thebe's included)."
    html = page(lang, name)
    assert FOREIGN.findall(html) == []
    if 'class="math' in html:  # Sphinx adds MathJax to the pages with equations only
        assert re.search(r'<script[^>]+src="\.\./_static/mathjax/tex-mml-chtml\.js', html)
    assert "thebe" not in html  # sphinx-thebe is switched off: no loader, no config script
    assert (HTML / lang / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


# The live figure's added weight per edition (its three scripts, the weights included), at most.
LIVE_BUDGET = 1_500_000


@pytest.mark.parametrize("lang", LANGS)
def test_live_figure_serves_the_shipped_weights_and_fits_its_budget(lang):
    """The weights in vit-live-data.js are the shipped .safetensors bytes, exactly (book/build.py makes
    them from it at every build); only the pages with the figure load its scripts, which weigh at
    most LIVE_BUDGET bytes in all."""
    import base64

    from vit_lit.model import weights_path

    static = HTML / lang / "_static"
    data = (static / vitlit_book.LIVE_DATA).read_text(encoding="ascii")
    payload = json.loads(data[data.index("{"): data.rindex("}") + 1])
    assert base64.b64decode(payload["weights"]) == weights_path("vit_mnist_patch4_28").read_bytes()
    assert len(payload["labels"]) * 784 == len(base64.b64decode(payload["digits"]))
    size = sum((static / name).stat().st_size for name in vitlit_book.LIVE_SCRIPTS)
    assert size <= LIVE_BUDGET, f"the live figure weighs {size:,} bytes in {lang}, over {LIVE_BUDGET:,}"
    for name in PAGES:
        scripts = [s for s in vitlit_book.LIVE_SCRIPTS if f'_static/{s}"' in page(lang, name)]
        holds = 'class="vit-live"' in page(lang, name)
        assert scripts == (list(vitlit_book.LIVE_SCRIPTS) if holds else []), (lang, name, scripts)


# The API reference (book/reference.py, book/vitlit_api.py)
def documented(lang) -> set[str]:
    "The Python objects the edition's reference documents, from Sphinx's inventory (objects.inv)."
    from sphinx.util.inventory import InventoryFile

    path = HTML / lang / "objects.inv"
    assert path.is_file(), f"{path} was not built: run `make book` first"
    with open(path, "rb") as f:
        inventory = InventoryFile.load(f, "", lambda *parts: "/".join(parts))
    return {name for kind, entries in inventory.items() if kind.startswith("py:") and kind != "py:module"
            for name in entries}


def public_names() -> set[str]:
    "`vit_lit.<module>.<name>` for every name of every module's `__all__`."
    import importlib

    names = set()
    for path in sorted((ROOT / "vit_lit").glob("*.py")):
        if not path.stem.startswith("_"):
            names |= {f"vit_lit.{path.stem}.{n}" for n in importlib.import_module(f"vit_lit.{path.stem}").__all__}
    return names


@pytest.mark.parametrize("lang", LANGS)
def test_reference_documents_exactly_the_public_names(lang):
    import vit_lit

    top_level = {name for name in documented(lang) if name.count(".") == 2}
    assert top_level == public_names()
    for name in vit_lit.__all__:  # the package's own names: documented where they are defined
        module = getattr(vit_lit, name).__module__ if callable(getattr(vit_lit, name)) else None
        assert any(full.endswith(f".{name}") for full in top_level), name
        assert module is None or f"{module}.{name}" in top_level, name


@pytest.mark.parametrize("lang", LANGS)
def test_reference_documents_what_vit_inherits_from_vit_lit_only(lang):
    "ViT's timm feature methods come from a private base: documented; nn.Module's are not."
    names = documented(lang)
    for method in ("forward_intermediates", "prune_intermediate_layers", "forward_features"):
        assert f"vit_lit.model.ViT.{method}" in names, method
    assert not {f"vit_lit.model.ViT.{m}" for m in ("zero_grad", "state_dict", "to")} & names


@pytest.mark.parametrize("lang", LANGS)
def test_reference_pages_speak_the_edition_language(lang):
    index = (HTML / lang / "api" / "index.html").read_text(encoding="utf-8")
    assert ("API 레퍼런스" in index) == (lang == "ko") and ("API reference" in index) == (lang == "en")
    data = (HTML / lang / "api" / "data.html").read_text(encoding="utf-8")
    built_in = "만드는 곳" if lang == "ko" else "Built in"
    assert built_in in data and 'href="../nbs/00_data.html"' in data
    assert f'href="../../{"en" if lang == "ko" else "ko"}/api/data.html"' in data  # the language link
