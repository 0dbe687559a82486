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


def sphinx_build(tmp_path, page: str) -> tuple[int, str]:
    "Build one reStructuredText page with the reference's extensions as the book does (-W -n)."
    import yaml
    from sphinx.cmd.build import build_main

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    settings = {k: v for k, v in config.items() if k.startswith(("autodoc_", "nitpick_"))}
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book')!r})\n"
        "extensions = ['sphinx.ext.autodoc', 'vitlit_api']\n"
        + "".join(f"{k} = {v!r}\n" for k, v in settings.items()), encoding="utf-8")
    (tmp_path / "index.rst").write_text(page, encoding="utf-8")
    warnings = tmp_path / "warnings.txt"
    code = build_main(["-q", "-W", "--keep-going", "-n", "-b", "html", "-w", str(warnings), str(tmp_path), str(tmp_path / "out")])
    return code, warnings.read_text(encoding="utf-8") if warnings.exists() else ""


PAGE = ("Patches\n=======\n\n.. autofunction:: vit_lit.patches.patchify\n\n.. autodata:: vit_lit.i18n.LANGUAGES\n\n"
        ".. autofunction:: vit_lit.i18n.set_lang\n")


def test_the_build_passes_a_documented_page(tmp_path):
    assert sphinx_build(tmp_path, PAGE) == (0, "")


def test_the_build_fails_on_a_public_function_without_a_docstring(tmp_path, monkeypatch):
    import vit_lit.patches

    monkeypatch.setattr(vit_lit.patches.patchify, "__doc__", None)
    code, warnings = sphinx_build(tmp_path, PAGE)
    assert code != 0 and "vit_lit.patches.patchify is public" in warnings


def test_the_build_fails_on_a_constant_without_a_doc_comment(tmp_path, monkeypatch):
    import vitlit_api

    monkeypatch.setattr(vitlit_api, "constant_documented", lambda name: False)
    code, warnings = sphinx_build(tmp_path, PAGE)
    assert code != 0 and "vit_lit.i18n.LANGUAGES is public" in warnings


def test_the_build_fails_on_a_broken_reference(tmp_path):
    code, warnings = sphinx_build(tmp_path, PAGE + "\nSee :py:func:`vit_lit.patches.no_such_function`.\n")
    assert code != 0 and "no_such_function" in warnings


def test_backticked_names_become_links_or_literals():
    import vitlit_api

    targets = vitlit_api.targets(vitlit_api.public_names())
    assert vitlit_api.link("create_vit", targets, "train") == ":py:obj:`create_vit <vit_lit.model.create_vit>`"
    assert vitlit_api.link("vit_lit.fit", targets, "cli") == ":py:obj:`vit_lit.fit <vit_lit.train.fit>`"
    assert vitlit_api.link("attn.qkv", targets, "model") == "``attn.qkv``"


def test_inherited_members_only_from_vit_lit_bases():
    from reference import inherited_members

    from vit_lit.block import Encoder
    from vit_lit.model import ViT

    assert inherited_members(ViT) == "   :inherited-members: Module\n"  # _TimmFeatures' methods
    assert inherited_members(Encoder) == ""  # nothing of vit_lit's own to inherit
