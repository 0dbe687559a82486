"""The API reference's source (book/reference.py): every public name has a page and a docstring,
and every example on the pages runs. tests/book/test_built.py checks the built pages."""
import importlib
import inspect
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book"))
import reference  # noqa: E402

import vit_lit  # noqa: E402

MODULES = sorted(p.stem for p in (ROOT / "vit_lit").glob("*.py") if not p.stem.startswith("_"))


def test_every_module_with_public_names_has_a_page():
    paged = [m[0] for m in reference.MODULES]
    with_names = [m for m in MODULES if importlib.import_module(f"vit_lit.{m}").__all__]
    assert sorted(paged) == sorted(set(paged)), "a module has two pages"
    assert set(with_names) <= set(paged), f"no reference page for {set(with_names) - set(paged)}"


def test_package_names_come_from_a_paged_module():
    for name in vit_lit.__all__:
        module = next((m[0] for m in reference.MODULES if name in reference.public(m[0])), None)
        assert module, f"vit_lit.{name} is in no module's __all__, so the reference would miss it"


@pytest.mark.parametrize("module", [m[0] for m in reference.MODULES])
def test_public_callables_and_their_methods_have_docstrings(module):
    missing = []
    for name in reference.public(module):
        obj = getattr(importlib.import_module(f"vit_lit.{module}"), name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            if not inspect.getdoc(obj):
                missing.append(name)
        if inspect.isclass(obj):
            missing += [f"{name}.{k}" for k, v in vars(obj).items()
                        if not k.startswith("_") and inspect.isfunction(v) and not v.__doc__
                        and k != "extra_repr"]  # torch's hook for the repr, not an API
    assert missing == [], f"vit_lit.{module}: no docstring for {missing}"


def test_every_entry_says_where_it_is_built():
    order = reference.chapters()
    for module in [m[0] for m in reference.MODULES]:
        for name in reference.public(module):
            notebook = reference.notebook_of(module, name)
            assert (ROOT / "nbs" / f"{notebook}.ipynb").is_file()
            built = reference.chapter_fields(module, name, "en", order)[0]
            assert built.startswith(":Built in:")
            assert (f":doc:`/nbs/{notebook}`" in built) == (notebook in order), built


def test_examples_name_public_entries():
    names = {name for m in reference.MODULES for name in reference.public(m[0])}
    assert set(reference.EXAMPLES) <= names, set(reference.EXAMPLES) - names


@pytest.mark.parametrize("name", sorted(reference.EXAMPLES))
def test_example_runs(name):
    try:
        exec(compile(textwrap.dedent(reference.EXAMPLES[name]), f"<example {name}>", "exec"), {})
    finally:
        vit_lit.set_lang("en")
