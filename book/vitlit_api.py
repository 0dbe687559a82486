"""Sphinx extension for the API reference (book/reference.py writes its pages).

- autodoc imports `vit_lit` from this checkout (the repository root goes first on sys.path).
- A public name (in a module's `__all__`) whose docstring is empty is a build error: autodoc
  itself says nothing about it, so `autodoc-process-docstring` logs a warning, which
  `jupyter-book build -W` turns into a failure. Constants are documented by a `#:` comment on
  the line before them (Sphinx reads it from the source).
- The docstrings mark code with single backticks (Markdown style). In reStructuredText that is
  "interpreted text", set in italics; here a backticked public name becomes a link to its entry
  (`create_vit`, `vit_lit.fit`) and anything else a code literal.
- Cross-references to other libraries' types in signatures (torch.Tensor, nn.Module, ...) are not
  checked: the book builds offline, without their inventories. References to `vit_lit` names and
  to the book's pages are, with -n.
"""
import importlib
import re
import sys
from pathlib import Path

from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

ROOT = Path(__file__).resolve().parent.parent
logger = logging.getLogger(__name__)
BACKTICKED = re.compile(r"(?<![`:\w])`([^`\n]+)`(?![`_])")


def public_names() -> dict[str, str]:
    "Every public name, `vit_lit.<module>.<name>`, mapped to its module; plus the package's re-exports."
    import vit_lit

    found = {}
    for path in sorted((ROOT / "vit_lit").glob("*.py")):
        if path.stem.startswith("_"):
            continue
        module = importlib.import_module(f"vit_lit.{path.stem}")
        for name in getattr(module, "__all__", []):
            found[f"vit_lit.{path.stem}.{name}"] = path.stem
    for name in vit_lit.__all__:
        obj_module = next(m for full, m in found.items() if full.endswith(f".{name}"))
        found[f"vit_lit.{name}"] = obj_module
    return found


def targets(public: dict[str, str]) -> dict[str, list[str]]:
    "Each public name's entries, `vit_lit.<module>.<name>`, by its short name."
    found: dict[str, list[str]] = {}
    for full, module in public.items():
        found.setdefault(full.rsplit(".", 1)[1], [])
        if full.count(".") == 2:
            found[full.rsplit(".", 1)[1]].append(full)
    return found


def link(text: str, targets: dict[str, list[str]], module: str) -> str:
    """A backticked name as a cross-reference to its entry when it is a public name (`create_vit`,
    `vit_lit.fit`; the current module's own first), else a code literal."""
    bare = text.removesuffix("()")
    short = bare.removeprefix("vit_lit.")
    if targets.get(short) and "." not in short:
        options = targets[short]
        full = next((f for f in options if f == f"vit_lit.{module}.{short}"), options[0])
        return f":py:obj:`{text} <{full}>`"
    return f"``{text}``"


def constant_documented(name: str) -> bool:
    "Whether the constant `vit_lit.<module>.<name>` has a `#:` comment (or a string after it) in the source."
    module, short = name.rsplit(".", 1)
    return ("", short) in ModuleAnalyzer.for_module(module).find_attr_docs()


def check_and_mark(app, what, name, obj, options, lines) -> None:
    public = app.env.vitlit_public
    if what == "data" and not constant_documented(name):
        lines[:] = []  # autodoc would show the docstring of the constant's type (dict, str, ...)
    if name in public and not any(line.strip() for line in lines):
        logger.warning(f"{name} is public (in vit_lit.{public[name]}.__all__) but has no docstring: add one "
                       f"in its notebook (a `#:` comment before a constant), then nbdev_export",
                       type="vitlit", subtype="docstring")
    module = name.split(".")[1] if name.startswith("vit_lit.") else ""
    lines[:] = [BACKTICKED.sub(lambda m: link(m[1], app.env.vitlit_targets, module), line) for line in lines]


def on_builder_inited(app) -> None:
    app.env.vitlit_public = public_names()
    app.env.vitlit_targets = targets(app.env.vitlit_public)


def setup(app):
    sys.path.insert(0, str(ROOT))
    app.connect("builder-inited", on_builder_inited)
    app.connect("autodoc-process-docstring", check_and_mark)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
