"""Colab notebooks in the reader's language: colab/<lang>/<name>.ipynb for every page of the book.

    python tools/colab.py write     (re)write colab/ from nbs/ and _toc.yml, remove stale files
    python tools/colab.py check     fail if a notebook under colab/ differs from what `write` makes

Each is the bilingual source notebook nbs/<name>.ipynb as one edition of the book shows it
(`notebooks.edition_cells`: that language's prose only, no `#|` directives or nbval markers, no
outputs), with one cell right after the Colab install cell that calls `set_lang("<lang>")`, so
figures and printed sentences speak the reader's language, and with the solutions of the exercises
moved to a last section (`notebooks.solutions_last`). Each edition's Colab button opens
its own (book/vitlit_book.py); the README's chapter table links both (tools/readme.py).
"""
import json
import sys
from pathlib import Path

from notebooks import (ROOT, SOLUTION, SOLUTIONS_ID, book_pages, dumps, edition_cells, first_code_index, settings,
                       solutions_last)

COLAB = ROOT / "colab"
LANGS = ("ko", "en")


def colab_path(lang: str, name: str) -> str:
    "Where the `lang` notebook of page `name` lies in the repository."
    return f"colab/{lang}/{name}.ipynb"


def colab_url(lang: str, name: str) -> str:
    "The address that opens the `lang` notebook of page `name` in Colab (from settings.ini)."
    cfg = settings()
    repo = cfg["git_url"].removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/{cfg['branch']}/{colab_path(lang, name)}"


def set_lang_cell(lang: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": "set-lang", "metadata": {}, "outputs": [],
            "source": f'# The language of figures and printed sentences.\nfrom vit_lit import set_lang\n\nset_lang("{lang}")'}


def colab_notebook(nb: dict, lang: str) -> dict:
    "The `lang` edition of the source notebook `nb`, for Colab."
    cells = json.loads(json.dumps(solutions_last(edition_cells(nb, lang), lang)))
    metadata = {**nb.get("metadata", {}), "language_info": {"name": "python"}}
    for cell in cells:
        tags = [t for t in cell["metadata"].get("tags", []) if t != SOLUTION]
        tags = tags if cell["cell_type"] == "code" else []  # ko/en have done their work
        cell["metadata"] = {"tags": tags} if tags else {}
        if cell.get("id") == SOLUTIONS_ID:  # Colab opens the notebook with this section folded
            cell["metadata"] = {"id": SOLUTIONS_ID}
            metadata["colab"] = {"collapsed_sections": [SOLUTIONS_ID]}
    install = first_code_index({"cells": cells})
    cells.insert(install + 1, set_lang_cell(lang))
    return {**nb, "cells": cells, "metadata": metadata}


def expected() -> dict[Path, str]:
    "Every file colab/ should hold, with its text."
    files = {}
    for name in book_pages():
        nb = json.loads((ROOT / "nbs" / f"{name}.ipynb").read_text(encoding="utf-8"))
        for lang in LANGS:
            files[ROOT / colab_path(lang, name)] = dumps(colab_notebook(nb, lang))
    return files


def problems(files: dict[Path, str], folder: Path = COLAB) -> list[str]:
    "How `folder` differs from `files`: missing, stale or extra notebooks."
    found = set(folder.glob("*/*.ipynb")) if folder.is_dir() else set()
    out = []
    for path, text in files.items():
        rel = path.relative_to(folder.parent)
        if path not in found:
            out.append(f"{rel} is missing")
        elif path.read_text(encoding="utf-8") != text:
            out.append(f"{rel} is stale")
    out += [f"{p.relative_to(folder.parent)} is not a page of the book" for p in sorted(found - set(files))]
    return out


def write(files: dict[Path, str], folder: Path = COLAB) -> None:
    for path in (set(folder.glob("*/*.ipynb")) if folder.is_dir() else set()) - set(files):
        path.unlink()
        print(f"removed {path.relative_to(folder.parent)}")
    for path, text in files.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".ipynb.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            print(f"wrote {path.relative_to(folder.parent)}")


def main(argv: list[str]) -> int:
    if argv[1:] == ["write"]:
        write(expected())
        return 0
    if argv[1:] == ["check"]:
        found = problems(expected())
        for p in found:
            print(f"{p}: run `python tools/colab.py write` (or `make colab`)", file=sys.stderr)
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
