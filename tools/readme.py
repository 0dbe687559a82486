"""Keep README.md's chapter table in step with _toc.yml, the notebooks' titles and settings.ini.

Each row links the chapter in both editions of the book and both Colab notebooks (tools/colab.py).

    python tools/readme.py write    rewrite the table between the markers
    python tools/readme.py check    fail if the table is stale
"""
import json
import re
import sys
from pathlib import Path

import yaml

from colab import colab_url
from notebooks import ROOT, settings, source

BEGIN, END = "<!-- chapters:begin -->", "<!-- chapters:end -->"


def title(nb: dict, lang: str) -> str:
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown" and lang in c["metadata"].get("tags", []))
    return re.match(r"#\s+(.*)", source(cell)).group(1).strip()


def table() -> str:
    cfg = settings()
    site = f'{cfg["doc_host"]}{cfg["doc_baseurl"]}'
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    rows = ["| chapter | 장 | read | Colab |", "|---|---|---|---|"]
    for name in [c["file"] for c in toc["chapters"]]:
        nb = json.loads((ROOT / "nbs" / f"{name}.ipynb").read_text(encoding="utf-8"))
        rows.append(f"| {title(nb, 'en')} | {title(nb, 'ko')} | [en]({site}/en/nbs/{name}.html) · "
                    f"[ko]({site}/ko/nbs/{name}.html) | [en]({colab_url('en', name)}) · [ko]({colab_url('ko', name)}) |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    fresh = f"{head}{BEGIN}\n{table()}\n{END}{tail}"
    if argv[1:] == ["write"]:
        tmp = readme.with_suffix(".md.tmp")
        tmp.write_text(fresh, encoding="utf-8")
        tmp.replace(readme)
        return 0
    if fresh != text:
        print("README.md's chapter table is stale: run `python tools/readme.py write`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
