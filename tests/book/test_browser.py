"""The built book in a real browser, run by `make test` right after `make book`.

One headless Chromium (tools/browser_test.cjs, playwright-core from tools/node_modules) opens every
page of _toc.yml in both editions, served over HTTP, and reports per page, after the page's scripts
have run: script errors and failed or foreign requests, equations not typeset (or raw TeX left),
images not loaded, a language link that does not lead to the same page in the other edition,
at 390 px width, anything but a code block that scrolls sideways, every attention explorer
(vit_lit.explore) that does not answer a click on a patch, and every live figure (vit_lit/js/live.js)
that does not answer mouse and touch strokes and a click on a patch, or whose logits on test digits
put on its pad differ from PyTorch's by 1e-4 or more, at 1280 px and at 390 px.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
LANGS = ("ko", "en")
sys.path.insert(0, str(ROOT / "tools"))
from notebooks import book_pages  # noqa: E402

PAGES = book_pages()
sys.path.insert(0, str(ROOT / "book"))
from reference import MODULES  # noqa: E402

# every page: the chapters (nbs/) and the API reference (api/, book/reference.py)
PATHS = [f"nbs/{name}" for name in PAGES] + [f"api/{name}" for name in ["index"] + [m[0] for m in MODULES]]
# Chapters that must hold at least one attention explorer; a chapter counts once it is in _toc.yml.
EXPLORER_CHAPTERS = [name for name in ("14_inside",) if name in PAGES]
# Pages that must hold the live figure (vit_lit/js/live.js).
LIVE_PAGES = [name for name in ("14_inside", "playground") if name in PAGES]


def live_reference(path: Path) -> Path:
    "20 test digits (every 50th of load_mnist_split's) and PyTorch's logits on them, for the live figure."
    import numpy as np
    import torch
    from vit_lit import create_vit, load_mnist_split

    digits = np.rint(load_mnist_split().x_test[::50].numpy() * 255).astype(np.uint8)
    model = create_vit("vit_mnist_patch4_28", pretrained=True).eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(digits).float() / 255)
    path.write_text(json.dumps({"digits": digits.reshape(len(digits), -1).tolist(), "logits": logits.tolist()}))
    return path


def run_browser(root: Path, pages: list[dict], reference: Path | None = None) -> dict:
    ready = subprocess.run(["bash", str(ROOT / "tools" / "check_browser.sh")], capture_output=True, text=True)
    if ready.returncode:
        pytest.fail(ready.stderr)
    subprocess.run(["bash", str(ROOT / "tools" / "npm_ci.sh")], check=True)
    env = {**os.environ, **({"VIT_LIVE_REFERENCE": str(reference)} if reference else {})}
    run = subprocess.run(["node", str(ROOT / "tools" / "browser_test.cjs"), str(root)], input=json.dumps(pages),
                         capture_output=True, text=True, timeout=900, env=env)
    assert run.returncode == 0, f"the browser test did not run:\n{run.stderr}"
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    for lang in LANGS:
        assert (HTML / lang / "nbs" / "index.html").is_file(), "the book is not built: run `make book` first"
    pages = [{"path": f"{lang}/{path}.html", "other": f"{other}/{path}.html"}
             for lang, other in (("ko", "en"), ("en", "ko")) for path in PATHS]
    return run_browser(HTML, pages, live_reference(tmp_path_factory.mktemp("live") / "reference.json"))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", PATHS)
def test_page_in_a_browser(report, lang, path):
    result = report[f"{lang}/{path}.html"]
    assert result["problems"] == [], f"{lang}/{path}.html:\n" + "\n".join(result["problems"])


def test_chapters_with_math_were_checked(report):
    "The check of typeset math ran: the chapters hold equations, and every page has images (logo, figures)."
    assert sum(r["equations"] for r in report.values()) > 50
    assert all(r["images"] > 0 for path, r in report.items() if "/nbs/" in path)


def test_attention_explorers_answer_a_click(report):
    "In both editions, the chapters with the interactive figure have one, and every explorer on every page answered."
    for lang in LANGS:
        for name in EXPLORER_CHAPTERS:
            assert report[f"{lang}/nbs/{name}.html"]["explorers"], f"{lang}/nbs/{name}.html has no attention explorer"
    failed = {page: [x for x in r["explorers"] if not x["passed"]] for page, r in report.items()}
    assert not any(failed.values()), {page: xs for page, xs in failed.items() if xs}


def test_live_figures_answer_pointer_touch_and_clicks(report):
    "In both editions, chapter 14 and the playground hold a live figure that passed at 1280 and 390 px."
    for lang in LANGS:
        for name in LIVE_PAGES:
            live = report[f"{lang}/nbs/{name}.html"]["live"]
            assert [x["width"] for x in live] == [1280, 390], f"{lang}/nbs/{name}.html: {live}"
            for x in live:
                assert x["passed"] and x["digits"] == 20 and x["maxDiff"] < 1e-4, (lang, name, x)


def chapters_with_exercises() -> list[str]:
    "The pages whose notebook has an exercises section (tools/notebooks.py exercise_problems)."
    import notebooks
    found = []
    for name in PAGES:
        nb = json.loads((ROOT / "nbs" / f"{name}.ipynb").read_text(encoding="utf-8"))
        if any(notebooks.is_solution(c) for c in nb["cells"]):
            found.append(name)
    return found


def test_solutions_are_folded_until_a_reader_opens_them(report):
    "In both editions, every chapter with exercises folds its solutions, and a click opens one."
    chapters = chapters_with_exercises()
    assert chapters, "no chapter has exercises"
    for lang in LANGS:
        for name in chapters:
            solutions = report[f"{lang}/nbs/{name}.html"]["solutions"]
            assert solutions["folded"] >= 2 and solutions["opened"], (lang, name, solutions)


BAD_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<p><a class="vitlit-lang" href="../../ko/nbs/other.html">한국어</a></p>
<article class="bd-article"><p>An equation left raw: \\[ A = QK^\\top \\]</p>
<p><span class="math notranslate nohighlight">\\(x\\)</span></p>
<img src="missing.png" alt="">
<div style="overflow-x: auto"><div style="width: 900px">a wide table</div></div>
<div class="highlight"><pre>{code}</pre></div>
<div class="vit-explorer" id="vit-explorer-without-script"><p>a figure whose script never ran</p></div>
<div class="vit-live"><p>a live figure whose script never ran</p></div>
<div class="admonition dropdown"><p class="admonition-title">Solution 1</p><p>shown at once</p></div>
<details class="hide" open><summary>Show code</summary><div class="cell_input">x = 1</div></details>
<script>undefined_function();</script>
<script src="https://cdn.example.org/mathjax.js"></script>
</article></body></html>
"""


def test_the_browser_test_catches_each_kind_of_problem(tmp_path):
    "A page with every fault the test looks for, and a clean one: each fault is reported."
    import torch
    from vit_lit.explore import attention_explorer

    images = torch.linspace(0, 1, 2 * 12 * 12).reshape(2, 1, 12, 12)
    maps = {"a": torch.softmax(torch.linspace(-3, 3, 2 * 10 * 10).reshape(2, 10, 10).sin(), -1)}
    explorer = attention_explorer(images, maps, patch_size=4)._repr_html_()  # a 3x3 grid
    (tmp_path / "en" / "nbs").mkdir(parents=True)
    (tmp_path / "en" / "nbs" / "bad.html").write_text(BAD_PAGE.replace("{code}", "x = 1" * 200), encoding="utf-8")
    (tmp_path / "en" / "nbs" / "good.html").write_text(
        '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body><a class="vitlit-lang" href="../../ko/nbs/good.html">ko</a>'
        f'<div class="highlight"><pre style="overflow-x: auto">{"y = 2" * 200}</pre></div>{explorer}</body></html>',
        encoding="utf-8")
    found = run_browser(tmp_path, [{"path": "en/nbs/bad.html", "other": "ko/nbs/bad.html"},
                                   {"path": "en/nbs/good.html", "other": "ko/nbs/good.html"}])
    problems = "\n".join(found["en/nbs/bad.html"]["problems"])
    for words in ("raw TeX in the text", "1 of 1 equations not typeset", "image not loaded: missing.png",
                  "script error", "HTTP 404", "language link leads to ko/nbs/other.html, not ko/nbs/bad.html",
                  "scrolls sideways at 390px", "loads from another host: https://cdn.example.org/mathjax.js",
                  "explorer vit-explorer-without-script: no canvas.vx-main",
                  "live figure: no canvas.vl-pad",
                  "a solution's prose is visible before any click", "a solution's code is visible before any click"):
        assert words in problems, f"{words!r} not reported; got:\n{problems}"
    assert found["en/nbs/good.html"]["problems"] == []
    [ok] = found["en/nbs/good.html"]["explorers"]
    assert ok["passed"] and ok["query"] == str(1 + 1 * 3 + 1)  # the centre patch of the 3x3 grid
