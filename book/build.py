"""Build the two editions of the book: _build/html/{ko,en}/ and a language chooser at _build/html/index.html.

For each language, the notebooks of nbs/ are copied into _build/src/<lang>/ with the other
language's prose cells removed, nbdev directive lines (`#| ...`) and nbval markers stripped, and
setup cells (`#| hide`) hidden (tools/notebooks.py's `edition_cells`, which the Colab notebooks of
tools/colab.py share); then `jupyter-book build -W -n` executes and renders them with
VIT_LIT_LANG=<lang>, so the figures speak the edition's language. The notebooks' stored outputs
are the English edition's (made with VIT_LIT_LANG=en, and proven equal to a fresh run by nbval in
`make test`), so the English edition shows them without running the notebooks a third time;
VIT_LIT_EXECUTE=all executes it too.

An executed edition's notebooks are executed here, not by Jupyter Book, and kept in
_build/executed/<lang>/ with a key: a hash of everything the run depends on (the notebook's code
cells as the edition has them, the language, every file of vit_lit/ with its shipped weights,
the pinned packages, the Python, PYTHONHASHSEED). A notebook whose key is unchanged is not
executed again, so `make book` right after `make test` (which executes the Korean edition beside
pytest and nbval, one notebook per make job) only renders, and so does the reverse; editing a
notebook's prose never re-executes it, editing its code or the library does. Jupyter Book then renders the stored
outputs (execute_notebooks: off), as for the English edition. Kernels run one torch thread each
(OMP_NUM_THREADS=1, as nbval's), so an output does not depend on the machine's core count.

The book serves its own MathJax 3 (npm package `mathjax`, pinned in tools/package-lock.json and
installed into tools/node_modules by tools/npm_ci.sh), CSS and script (book/vitlit.css, vitlit.js):
all are copied into each edition's static folder, so no page loads anything from another host.
So is the live figure (a `<div class="vit-live">` in a page, see book/vitlit_book.py): its
JavaScript (vit_lit/js/vit.js, live.js) and vit-live-data.js, which `live_data_js` writes from the
shipped weights (the .safetensors bytes as they are) at every build.

    python book/build.py                    # both editions
    python book/build.py ko                 # one edition (the chooser page is written either way)
    python book/build.py execute ko [NAME]  # execute the ko edition's notebooks (or one) into _build/executed/ko
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "book")]
from colab import colab_url  # noqa: E402
from notebooks import book_pages, edition_cells, folded_solutions, settings  # noqa: E402
from vitlit_book import LIVE_DATA, LIVE_SCRIPTS  # noqa: E402
from reference import write_pages  # noqa: E402  (book/reference.py: the API reference)

BUILD = ROOT / "_build"
EXECUTED = BUILD / "executed"  # _build/executed/<lang>/<name>.ipynb: an executed edition's notebooks, run
MATHJAX = ROOT / "tools" / "node_modules" / "mathjax" / "es5"
# Nanum Gothic Coding (SIL OFL, npm package @fontsource/nanum-gothic-coding): a monospaced font whose
# Hangul is exactly two columns wide, for the Korean edition's code and printed outputs, so that
# tables padded with vit_lit.i18n.pad and the 80-column rule (Hangul counts two) hold on the page.
CODE_FONT = ROOT / "tools" / "node_modules" / "@fontsource" / "nanum-gothic-coding"
CODE_FONT_CSS = "nanum-gothic-coding.css"
STATIC = "_vitlit_static"  # the edition's static folder (not `_static`: Jupyter Book would load every .js in it)
LIVE_MODEL = "vit_mnist_patch4_28"  # the model the live figure runs
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
        nb = edition_notebook(path.stem, lang)
        if not stored and path.stem in book_pages():
            nb = executed(path.stem, lang)  # run now, or reused from _build/executed/<lang>/
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
    config["execute"]["execute_notebooks"] = "off"  # stored outputs, or those of `executed`
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
    for name in LIVE_SCRIPTS:
        if name != LIVE_DATA:
            shutil.copy(ROOT / "vit_lit" / "js" / name, static / name)
    (static / LIVE_DATA).write_text(live_data_js(), encoding="ascii")


def live_data_js() -> str:
    """vit-live-data.js: `window.VitLitData` for the live figure, made from the library's files:
    the shipped vit_mnist_patch4_28 (its .safetensors bytes, base64: vit.js reads the format), two
    test digits of each class (uint8 28x28, load_mnist_split) with their labels, and the book's
    colour maps for attention and signed values (256 RGB uint8 each, vit_lit.viz.CMAPS)."""
    import base64

    import numpy as np
    from matplotlib import colormaps

    from vit_lit.data import load_mnist_split
    from vit_lit.model import weights_path
    from vit_lit.viz import CMAPS

    b64 = lambda data: base64.b64encode(bytes(data)).decode("ascii")  # noqa: E731
    test = load_mnist_split()
    picks = [i for c in range(10) for i in np.flatnonzero(test.y_test.numpy() == c)[:2]]
    digits = np.rint(test.x_test[picks].numpy() * 255).astype(np.uint8)
    lut = {k: b64(np.rint(colormaps[CMAPS[k]](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8))
           for k in ("attention", "signed")}
    data = {"weights": b64(weights_path(LIVE_MODEL).read_bytes()), "digits": b64(digits),
            "labels": test.y_test[picks].tolist(), "lut": lut}
    return f"// Written by book/build.py (live_data_js); do not edit.\nwindow.VitLitData = {json.dumps(data)};\n"


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


def edition_notebook(name: str, lang: str) -> dict:
    "nbs/<name>.ipynb as the `lang` edition has it: with the stored outputs, or none when the edition is executed."
    nb = json.loads((ROOT / "nbs" / f"{name}.ipynb").read_text(encoding="utf-8"))
    nb["cells"] = folded_solutions(edition_cells(nb, lang, shows_stored_outputs(lang)), lang)
    return nb


def library_digest() -> str:
    """A hash of what every notebook's run depends on besides its own code: the files of vit_lit/
    (its shipped weights included), the pinned packages and the Python."""
    digest = hashlib.sha256(sys.version.encode())
    paths = [*(ROOT / "vit_lit").rglob("*"), ROOT / "requirements" / "dev.txt", ROOT / "setup.py"]
    for path in sorted(p for p in paths if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def execution_key(nb: dict, lang: str, library: str) -> str:
    """What an edition notebook's outputs depend on: its code cells (prose is left out), the language,
    the library, and PYTHONHASHSEED (the Makefile sets 0: the order of a printed set)."""
    code = [[cell["source"], cell.get("metadata", {})] for cell in nb["cells"] if cell["cell_type"] == "code"]
    what = {"lang": lang, "library": library, "kernel": nb["metadata"].get("kernelspec"), "code": code,
            "hash_seed": os.environ.get("PYTHONHASHSEED")}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def executed(name: str, lang: str, library: str | None = None) -> dict:
    """The `lang` edition's notebook `name` with the outputs of a run with VIT_LIT_LANG=`lang`: the
    stored run in _build/executed/<lang>/ when its key matches, else a new run, stored there."""
    nb = edition_notebook(name, lang)
    key = execution_key(nb, lang, library or library_digest())
    store = EXECUTED / lang / f"{name}.ipynb"
    if store.is_file():
        done = json.loads(store.read_text(encoding="utf-8"))
        if done["metadata"].get("vitlit_execution_key") == key:
            return done
    print(f"book: executing {name} ({EDITIONS[lang]['name']})", flush=True)
    import nbformat  # the Jupyter stack, only when a notebook runs
    from jupyter_cache.executors.utils import single_nb_execution  # what Jupyter Book runs notebooks with
    run = nbformat.from_dict(nb)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["execute"]
    kernel_env = {"VIT_LIT_LANG": lang, "OMP_NUM_THREADS": "1"}
    saved = {k: os.environ.get(k) for k in [*kernel_env, "MPLBACKEND"]}
    os.environ.update(kernel_env)  # the kernel inherits this process's environment
    os.environ.pop("MPLBACKEND", None)  # the kernels must use the inline backend, or no figure is shown
    try:
        with tempfile.TemporaryDirectory() as cwd:  # files a notebook writes in its folder go nowhere
            result = single_nb_execution(run, cwd=cwd, timeout=config["timeout"],
                                         allow_errors=config["allow_errors"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if result.err is not None:
        raise SystemExit(f"book: nbs/{name}.ipynb failed in the {EDITIONS[lang]['name']} edition "
                         f"(VIT_LIT_LANG={lang}):\n{result.exc_string}")
    run.metadata["vitlit_execution_key"] = key
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_suffix(".tmp")
    tmp.write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(store)  # whole or not at all: an interrupted run leaves no half-written notebook
    return json.loads(store.read_text(encoding="utf-8"))


def build(lang: str) -> None:
    src = write_sources(lang)
    out = BUILD / "out" / lang
    env = {**os.environ, "VIT_LIT_LANG": lang}
    env.pop("MPLBACKEND", None)  # the kernels must use the inline backend, or no figure is shown
    jb = Path(sys.executable).parent / "jupyter-book"
    how = "from the stored outputs" if shows_stored_outputs(lang) else "from this edition's runs (_build/executed)"
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
    tmp = html / f"index.html.{os.getpid()}.tmp"  # `make book` builds the two editions at once
    tmp.write_text(page, encoding="utf-8")
    tmp.rename(html / "index.html")
    (html / ".nojekyll").touch()


def main(argv: list[str]) -> int:
    if argv[1:2] == ["execute"]:  # execute <lang> [name ...]
        lang, names = (argv[2:3] or [""])[0], argv[3:] or book_pages()
        if lang not in EDITIONS or shows_stored_outputs(lang) or set(names) - set(book_pages()):
            print(f"usage: build.py execute <lang> [page ...]; the executed editions: "
                  f"{', '.join(e for e in EDITIONS if not shows_stored_outputs(e))}; pages: _toc.yml",
                  file=sys.stderr)
            return 2
        library = library_digest()
        for name in names:
            executed(name, lang, library)
        return 0
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
