"""The project's own checks can fail: the notebook cleaner/pairing checker and actionlint."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402


def md(text, *tags):
    return {"cell_type": "markdown", "id": "m", "metadata": {"tags": list(tags)}, "source": text}


def code(text, outputs=(), count=None, **meta):
    return {"cell_type": "code", "id": "c", "metadata": meta, "source": text, "outputs": list(outputs),
            "execution_count": count}


def test_pairs_pass_when_ko_is_followed_by_matching_en():
    nb = {"cells": [md("# 제목\n\n- 하나", "ko"), md("# Title\n\n- one", "en"), code("1")]}
    assert notebooks.pairing_problems(Path("x.ipynb"), nb) == []


@pytest.mark.parametrize(
    "cells,words",
    [
        ([md("# 제목", "ko")], "not followed at once by its en partner"),
        ([md("# Title", "en")], "has no ko partner"),
        ([md("text")], "exactly one of the tags"),
        ([md("both", "ko", "en")], "exactly one of the tags"),
        ([md("# 제목", "ko"), code("1"), md("# Title", "en")], "not followed at once"),
        ([md("# 제목", "ko"), md("## Title", "en")], "differ in headings"),
        ([md("- 하나\n- 둘", "ko"), md("- one", "en")], "differ in list items"),
        ([md("$$x$$", "ko"), md("x", "en")], "differ in math blocks"),
        ([md("[a](https://a.org)", "ko"), md("[a](https://b.org)", "en")], "differ in links"),
    ],
)
def test_pairing_problems_are_found(cells, words):
    problems = notebooks.pairing_problems(Path("x.ipynb"), {"cells": cells})
    assert any(words in p for p in problems), problems


def test_clean_keeps_tags_renumbers_and_writes_the_colab_cell():
    out = {"output_type": "execute_result", "execution_count": None, "data": {"text/plain": "1"}, "metadata": {"x": 1}}
    nb = {"cells": [md("a", "ko"), code("whatever", tags=["remove-cell"]), code("1", [out], None, tags=["keep"], collapsed=True),
                    code("2", [], 7)],
          "metadata": {"kernelspec": {}, "widgets": {}}, "nbformat": 4, "nbformat_minor": 5}
    cleaned = notebooks.clean(nb)
    cells = cleaned["cells"]
    assert cells[0]["metadata"] == {"tags": ["ko"]}
    assert cells[1]["source"] == notebooks.colab_cell_source() and cells[1]["metadata"] == {"tags": ["remove-cell"]}
    assert [c["execution_count"] for c in cells[1:]] == [1, 2, 3]
    assert cells[2]["metadata"] == {"tags": ["keep"]}
    assert cells[2]["outputs"][0]["execution_count"] == 2 and cells[2]["outputs"][0]["metadata"] == {}
    assert set(cleaned["metadata"]) == {"kernelspec", "language_info"}
    assert notebooks.clean(cleaned) == cleaned


def test_colab_cell_url_comes_from_settings():
    cfg = notebooks.settings()
    src = notebooks.colab_cell_source()
    assert f'git+{cfg["git_url"]}.git@{cfg["branch"]}' in src and "google.colab" in src


def test_every_notebook_starts_with_the_colab_cell():
    for path in sorted((ROOT / "nbs").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = nb["cells"][notebooks.first_code_index(nb)]
        assert first["source"] == notebooks.colab_cell_source(), path.name
        assert "remove-cell" in first["metadata"]["tags"], path.name


def test_colab_cell_does_nothing_outside_colab():
    src = notebooks.colab_cell_source().replace("%pip", "raise SystemExit #")
    exec(compile(src, "colab-cell", "exec"), {})


def test_actionlint_catches_a_broken_workflow(tmp_path):
    (tmp_path / "bad.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n")
    run = subprocess.run(["bash", str(ROOT / "tools" / "actionlint.sh"), str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 1 and 'property "nope" is not defined' in run.stderr
