"""Build the two editions of the book: _build/html/{ko,en}/ and a language chooser at _build/html/index.html.

For each language, the notebooks of nbs/ are copied into _build/src/<lang>/ with the other
language's prose cells removed, nbdev directive lines (`#| ...`) and nbval markers stripped, and
setup cells (`#| hide`) hidden (tools/notebooks.py's `edition_cells`, which the Colab notebooks of
tools/colab.py share); then `jupyter-book build -W -n` executes and renders them with
VIT_LIT_LANG=<lang>, so the figures speak the edition's language. The notebooks' stored outputs
are the English edition's (made with VIT_LIT_LANG=en, and proven equal to a fresh run by nbval in
`make test`), so the English edition shows them without running the notebooks a third time;
VIT_LIT_EXECUTE=all executes it too.

The book serves its own MathJax 3 (npm package `mathjax`, pinned in tools/package-lock.json and
installed into tools/node_modules by tools/npm_ci.sh), CSS and script (book/vitlit.css, vitlit.js):
all are copied into each edition's static folder, so no page loads anything from another host.

    python book/build.py            # both editions
    python book/build.py ko         # one edition (the chooser page is written either way)
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "book"))  # book/reference.py, also when this file is loaded by path
from colab import colab_url  # noqa: E402
from notebooks import edition_cells, folded_solutions, settings  # noqa: E402
from reference import write_pages  # noqa: E402  (book/reference.py: the API reference)

BUILD = ROOT / "_build"
MATHJAX = ROOT / "tools" / "node_modules" / "mathjax" / "es5"
# Nanum Gothic Coding (SIL OFL, npm package @fontsource/nanum-gothic-coding): a monospaced font whose
# Hangul is exactly two columns wide, for the Korean edition's code and printed outputs, so that
# tables padded with vit_lit.i18n.pad and the 80-column rule (Hangul counts two) hold on the page.
CODE_FONT = ROOT / "tools" / "node_modules" / "@fontsource" / "nanum-gothic-coding"
CODE_FONT_CSS = "nanum-gothic-coding.css"
STATIC = "_vitlit_static"  # the edition's static folder (not `_static`: Jupyter Book would load every .js in it)
EDITIONS = {
    "ko": {"title": "vit-lit: 한 단계씩 만드는 비전 트랜스포머", "name": "한국어"},
    "en": {"title": "vit-lit: a Vision Transformer, step by step", "name": "English"},
}


TOGGLES = {  # sphinx-togglebutton's hint on a folded admonition, MyST-NB's on a folded code cell
    "ko": {"togglebutton_hint": "눌러서 보기", "togglebutton_hint_hide": "눌러서 숨기기",
           "nb_code_prompt_show": "코드 보기", "nb_code_prompt_hide": "코드 숨기기"},
    "en": {"togglebutton_hint": "Click to show", "togglebutton_hint_hide": "Click to hide",
           "nb_code_prompt_show": "Show code", "nb_code_prompt_hide": "Hide code"},
}
STORED = "en"  # the language of the outputs stored in nbs/ (tools/notebooks.py clean keeps them)


def shows_stored_outputs(lang: str) -> bool:
    "Whether the `lang` edition shows the stored outputs instead of executing the notebooks."
    return lang == STORED and os.environ.get("VIT_LIT_EXECUTE", "") != "all"


def write_sources(lang: str) -> Path:
    src = BUILD / "src" / lang
    shutil.rmtree(src, ignore_errors=True)
    (src / "nbs").mkdir(parents=True)
    stored = shows_stored_outputs(lang)
    for path in sorted((ROOT / "nbs").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb["cells"] = folded_solutions(edition_cells(nb, lang, stored), lang)
        (src / "nbs" / path.name).write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    toc["root"] = f"nbs/{toc['root']}"
    for chapter in toc["chapters"]:
        chapter["file"] = f"nbs/{chapter['file']}"
    toc["chapters"].append(write_pages(src, lang))  # the API reference, after the last chapter
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, allow_unicode=True), encoding="utf-8")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    cfg = settings()
    config["title"] = EDITIONS[lang]["title"]
    config["repository"].update(url=cfg["git_url"], branch=cfg["branch"], path_to_book="")
    config["sphinx"]["config"]["language"] = lang
    config["sphinx"]["config"].update(TOGGLES[lang])  # the folded solutions' buttons
    if stored:
        config["execute"]["execute_notebooks"] = "off"
    config["sphinx"]["config"]["vitlit_colab_url"] = colab_url(lang, "{name}")  # book/vitlit_book.py fills in {name}
    write_static(src / STATIC)
    if lang == "ko":
        write_code_font(src / STATIC)
        config["sphinx"]["config"]["html_css_files"].insert(0, CODE_FONT_CSS)
    (src / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return src


def write_static(static: Path) -> None:
    "MathJax 3 (its CommonHTML output, TeX input and menu; not the SVG output), the book's CSS and script."
    subprocess.run(["bash", str(ROOT / "tools" / "npm_ci.sh")], check=True)
    if not (MATHJAX / "tex-mml-chtml.js").is_file():
        raise SystemExit(f"{MATHJAX}/tex-mml-chtml.js is missing: run `bash tools/npm_ci.sh`")
    others = {p.name for p in MATHJAX.glob("*.js")} - {"tex-mml-chtml.js"}  # the other combined builds

    def skip(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if (Path(folder) == MATHJAX and n in others) or n.startswith("svg")]

    shutil.rmtree(static, ignore_errors=True)
    shutil.copytree(MATHJAX, static / "mathjax", ignore=skip)
    for name in ("vitlit.css", "vitlit.js"):
        shutil.copy(ROOT / "book" / name, static / name)


def write_code_font(static: Path) -> None:
    "The code font's regular and bold faces (WOFF2, one file per Unicode range) and their @font-face rules."
    rules = []
    for weight in (400, 700):
        css = (CODE_FONT / f"{weight}.css").read_text(encoding="utf-8")
        # every browser that runs the book's MathJax reads WOFF2: drop the WOFF fallbacks
        rules.append(re.sub(r", url\(\./files/[^)]+\.woff\) format\('woff'\)", "", css))
    fonts = static / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    for face in CODE_FONT.glob("files/*-[47]00-normal.woff2"):
        shutil.copy(face, fonts / face.name)
    css = "\n".join(rules).replace("url(./files/", "url(fonts/")
    if "fonts/" not in css or ".woff)" in css:
        raise SystemExit(f"{CODE_FONT}: unexpected @font-face rules; see book/build.py write_code_font")
    (static / CODE_FONT_CSS).write_text(css, encoding="utf-8")


def build(lang: str) -> None:
    src = write_sources(lang)
    out = BUILD / "out" / lang
    env = {**os.environ, "VIT_LIT_LANG": lang}
    env.pop("MPLBACKEND", None)  # the kernels must use the inline backend, or no figure is shown
    jb = Path(sys.executable).parent / "jupyter-book"
    how = "from the stored outputs" if shows_stored_outputs(lang) else "executing every notebook"
    print(f"book: building the {EDITIONS[lang]['name']} edition ({how})", flush=True)
    subprocess.run([str(jb), "build", str(src), "--path-output", str(out), "--warningiserror", "--nitpick",
                    "--keep-going", "--quiet"], env=env, check=True)
    html = BUILD / "html"
    html.mkdir(parents=True, exist_ok=True)
    staged = html / f".{lang}.new"
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(out / "_build" / "html", staged)
    shutil.rmtree(html / lang, ignore_errors=True)
    staged.rename(html / lang)


def write_chooser() -> None:
    "The landing page: pick a language. Written to a temporary file, then renamed."
    html = BUILD / "html"
    html.mkdir(parents=True, exist_ok=True)
    links = "\n".join(
        f'    <a lang="{lang}" href="{lang}/nbs/index.html"><strong>{e["name"]}</strong><span>{e["title"]}</span></a>'
        for lang, e in EDITIONS.items()
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>vit-lit</title>
  <style>
    body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #222; }}
    h1 {{ font-size: 1.6rem; }}
    a {{ display: block; margin: 1rem 0; padding: 1rem 1.2rem; border: 1px solid #ccc; border-radius: .5rem;
         text-decoration: none; color: inherit; }}
    a:hover, a:focus {{ border-color: #1a73e8; }}
    strong {{ display: block; font-size: 1.2rem; color: #1a73e8; }}
  </style>
</head>
<body>
  <h1>vit-lit</h1>
  <p lang="ko">언어를 고르세요.</p>
  <p>Choose a language.</p>
{links}
</body>
</html>
"""
    tmp = html / "index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.rename(html / "index.html")
    (html / ".nojekyll").touch()


def main(argv: list[str]) -> int:
    langs = argv[1:] or list(EDITIONS)
    unknown = [lang for lang in langs if lang not in EDITIONS]
    if unknown:
        print(f"unknown edition {unknown[0]!r}; choose from {', '.join(EDITIONS)}", file=sys.stderr)
        return 2
    for lang in langs:
        build(lang)
    write_chooser()
    print(f"book: open {BUILD / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
