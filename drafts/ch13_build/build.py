"""Write nbs/13_training.ipynb from the cells below (no outputs; execute afterwards)."""
import json
import sys
from pathlib import Path

NB = Path("/work/main/nbs/13_training.ipynb")
cells = []


def md(ko: str, en: str) -> None:
    cells.append(dict(cell_type="markdown", metadata={"tags": ["ko"]}, source=ko.strip("\n")))
    cells.append(dict(cell_type="markdown", metadata={"tags": ["en"]}, source=en.strip("\n")))


def code(src: str, tags=None) -> None:
    cells.append(dict(cell_type="code", metadata={"tags": tags} if tags else {},
                      source=src.strip("\n"), outputs=[], execution_count=None))


exec(Path("/tmp/ch13/cells.py").read_text(encoding="utf-8"))

import hashlib
subs = json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else {}
for c in cells:
    for k, v in subs.items():
        c["source"] = c["source"].replace(k, str(v))
for i, c in enumerate(cells):
    c["id"] = hashlib.sha1(f"{i}:{c['source'][:60]}".encode()).hexdigest()[:8]
nb = dict(cells=cells, metadata={"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                                "language": "python", "name": "python3"},
                                 "language_info": {"name": "python"}},
          nbformat=4, nbformat_minor=5)
out = Path(sys.argv[1]) if len(sys.argv) > 1 else NB
out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print("wrote", out, len(cells), "cells")
