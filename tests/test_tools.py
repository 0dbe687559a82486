"""The project's own checks can fail: the notebook cleaner/pairing/line-length checker, the Colab
notebooks per language, the README table, and actionlint."""
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import colab  # noqa: E402
import notebooks  # noqa: E402
import readme  # noqa: E402

HANGUL = re.compile(r"[\uac00-\ud7a3]")


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


def test_long_lines_are_found_in_cells_the_book_shows():
    ok, long = "x = 1" + " " * 74 + "#", "y = 2" + " " * 75 + "#"
    assert (len(ok), len(long)) == (80, 81)
    nb = {"cells": [
        code(f"{ok}\n{long}"),                                  # shown: reported
        code(long, tags=["remove-cell"]),                          # not shown
        code(long, tags=["remove-input"]),                         # only its output is shown
        code(f"#| hide\n{long}"),                                  # nbdev's hide: the book removes it
        code("#| export " + "x" * 90 + "\nz = 3"),                  # directives are not shown
        code("w = 4  # NBVAL_IGNORE_OUTPUT" + " " * 60),           # nbval markers are not shown
        md(long, "en"),                                            # prose wraps
        code(long, tags=["hide-input"]),                           # shown when unfolded: reported
    ]}
    problems = notebooks.long_lines(Path("x.ipynb"), nb)
    assert len(problems) == 2, problems
    assert problems[0].startswith("x.ipynb: code cell 0, line 2 is 81 columns wide")
    assert "code cell 7, line 1" in problems[1]


def test_hangul_counts_two_columns():
    hangul = 'print("' + "한" * 36 + '")'       # 45 characters, 81 columns in the book
    assert len(hangul) == 45 and notebooks.display_width(hangul) == 81
    problems = notebooks.long_lines(Path("x.ipynb"), {"cells": [code(hangul)]})
    assert len(problems) == 1 and "81 columns wide" in problems[0]
    assert notebooks.long_lines(Path("x.ipynb"), {"cells": [code(hangul[:-3] + '")')]}) == []


def test_check_reports_long_lines_in_library_notebooks(tmp_path, monkeypatch, capsys):
    "Library notebooks (not pages of the book) are read on GitHub and in Jupyter: the gate covers them."
    long = "y = 2" + " " * 75 + "#"
    nb = notebooks.clean({"cells": [md("# 라이브러리", "ko"), md("# Library", "en"), code(""), code(f"x = 1\n{long}")],
                          "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    assert "91_viz" not in notebooks.book_pages()
    (tmp_path / "91_viz.ipynb").write_text(notebooks.dumps(nb), encoding="utf-8")
    monkeypatch.setattr(notebooks, "NBS", tmp_path)
    assert notebooks.main(["notebooks.py", "check"]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert errors == ["91_viz.ipynb: code cell 3, line 2 is 81 columns wide (Hangul counts two; at most 80 in code "
                      "a reader sees; wrap it): y = 2" + " " * 35 + "..."], errors


def test_the_check_covers_the_notebooks_of_the_book():
    pages = notebooks.book_pages()
    assert pages[0] == "index" and "06_scores" in pages
    assert not [p for p in pages if p.startswith(("90_", "91_", "99_"))]
    assert all((ROOT / "nbs" / f"{p}.ipynb").is_file() for p in pages)


def test_book_build_and_colab_share_edition_cells():
    spec = importlib.util.spec_from_file_location("vitlit_book_build", ROOT / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.edition_cells is notebooks.edition_cells is colab.edition_cells


def test_english_edition_shows_the_stored_outputs_and_korean_executes(monkeypatch):
    spec = importlib.util.spec_from_file_location("vitlit_book_build", ROOT / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    monkeypatch.delenv("VIT_LIT_EXECUTE", raising=False)
    assert build.shows_stored_outputs("en") and not build.shows_stored_outputs("ko")
    nb = bilingual()
    en = build.edition_cells(nb, "en", stored=True)
    code_cells = [c for c in en if c["cell_type"] == "code"]
    assert code_cells[-1]["outputs"][0]["text"] == "one"
    assert code_cells[-1]["source"] == "x = t(ko='하나', en='one')"  # directives still go
    ko = build.edition_cells(nb, "ko", stored=False)
    assert all(c["outputs"] == [] for c in ko if c["cell_type"] == "code")
    monkeypatch.setenv("VIT_LIT_EXECUTE", "all")
    assert not build.shows_stored_outputs("en")


def test_an_executed_page_is_reused_until_its_code_or_the_library_changes(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("vitlit_book_build", ROOT / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    nb = {**bilingual(), "cells": build.edition_cells(bilingual(), "ko")}
    key = build.execution_key(nb, "ko", "library")
    prose = json.loads(json.dumps(nb))
    prose["cells"][0]["source"] += " (고침)"
    assert build.execution_key(prose, "ko", "library") == key  # a prose edit runs nothing again
    code_edit = json.loads(json.dumps(nb))
    [c for c in code_edit["cells"] if c["cell_type"] == "code"][-1]["source"] = "x = 2"
    assert build.execution_key(code_edit, "ko", "library") != key
    assert build.execution_key(nb, "en", "library") != key
    assert build.execution_key(nb, "ko", "other library") != key
    monkeypatch.setenv("PYTHONHASHSEED", "1")
    assert build.execution_key(nb, "ko", "library") != key
    monkeypatch.undo()
    # a stored run with the same key is returned as it is, without a kernel
    monkeypatch.setattr(build, "EXECUTED", tmp_path)
    monkeypatch.setattr(build, "edition_notebook", lambda name, lang: nb)
    stored = {**nb, "metadata": {**nb["metadata"], "vitlit_execution_key": key}, "ran": True}
    (tmp_path / "ko").mkdir()
    (tmp_path / "ko" / "page.ipynb").write_text(json.dumps(stored), encoding="utf-8")
    assert build.executed("page", "ko", "library")["ran"]


def bilingual():
    return {"cells": [md("# 제목", "ko"), md("# Title", "en"), code(notebooks.colab_cell_source(), tags=["remove-cell"]),
                      code("#| export\nx = t(ko='하나', en='one')", [{"output_type": "stream", "name": "stdout",
                                                                     "text": "one"}], 2),
                      md("본문", "ko"), md("Text", "en")],
            "metadata": {"kernelspec": notebooks.KERNEL}, "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.parametrize("lang,other", [("ko", "en"), ("en", "ko")])
def test_colab_notebook_has_one_language_and_sets_it(lang, other):
    nb = colab.colab_notebook(bilingual(), lang)
    prose = [c["source"] for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert prose == (["# 제목", "본문"] if lang == "ko" else ["# Title", "Text"])
    codes = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "google.colab" in codes[0]["source"] and "#|" not in codes[0]["source"]
    assert f'set_lang("{lang}")' in codes[1]["source"] and f'"{other}"' not in codes[1]["source"]
    assert codes[2]["source"] == "x = t(ko='하나', en='one')" and codes[2]["outputs"] == []


@pytest.mark.parametrize("lang", colab.LANGS)
@pytest.mark.parametrize("name", notebooks.book_pages())
def test_generated_colab_notebooks_hold_one_language(lang, name):
    path = ROOT / colab.colab_path(lang, name)
    assert path.is_file(), f"{path} is missing: run `python tools/colab.py write`"
    nb = json.loads(path.read_text(encoding="utf-8"))
    source = json.loads((ROOT / "nbs" / f"{name}.ipynb").read_text(encoding="utf-8"))
    prose = [notebooks.source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    ours = [c for c in source["cells"] if c["cell_type"] == "markdown" and lang in c["metadata"]["tags"]]
    # the same prose, in order, the solutions moved last under their heading (notebooks.solutions_last)
    assert prose == [notebooks.source(c) for c in notebooks.solutions_last(ours, lang)]
    if any(notebooks.is_solution(c) for c in ours):
        assert prose[-1].startswith(f"### {notebooks.SOLUTION_TITLE[lang]} ")
    if lang == "en":
        assert not [p for p in prose if HANGUL.search(p)]
    else:
        assert HANGUL.search(prose[0])
    codes = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "google.colab" in codes[0]["source"]
    assert codes[1]["source"].endswith(f'set_lang("{lang}")')


def test_colab_check_finds_missing_stale_and_extra_notebooks(tmp_path):
    folder = tmp_path / "colab"
    files = {folder / "ko" / "a.ipynb": "fresh\n", folder / "en" / "a.ipynb": "fresh\n"}
    assert colab.problems(files, folder) == ["colab/ko/a.ipynb is missing", "colab/en/a.ipynb is missing"]
    colab.write(files, folder)
    assert colab.problems(files, folder) == []
    (folder / "ko" / "a.ipynb").write_text("old\n")
    (folder / "en" / "gone.ipynb").write_text("{}")
    assert colab.problems(files, folder) == ["colab/ko/a.ipynb is stale", "colab/en/gone.ipynb is not a page of the book"]
    colab.write(files, folder)
    assert colab.problems(files, folder) == [] and not (folder / "en" / "gone.ipynb").exists()


def test_colab_url_follows_settings():
    cfg = notebooks.settings()
    url = colab.colab_url("ko", "06_scores")
    assert url == (f"https://colab.research.google.com/github/{cfg['git_url'].removeprefix('https://github.com/')}"
                   f"/blob/{cfg['branch']}/colab/ko/06_scores.ipynb")


def test_readme_table_links_both_colab_notebooks():
    rows = readme.table().splitlines()[2:]
    assert len(rows) == len(notebooks.book_pages()) - 1  # the chapters; the intro is the README itself
    for row, name in zip(rows, notebooks.book_pages()[1:]):
        assert f"[en]({colab.colab_url('en', name)}) · [ko]({colab.colab_url('ko', name)})" in row


def test_check_browser_names_what_is_missing_and_the_command(tmp_path):
    "make test stops in seconds, not after the build, when the browser test cannot run."
    import shutil as sh
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "fc-list"):  # no node, npm or chromium
        if sh.which(tool):
            (bin_dir / tool).symlink_to(sh.which(tool))
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    run = subprocess.run([str(bin_dir / "bash"), str(ROOT / "tools" / "check_browser.sh")],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 2
    assert "Node.js with npm" in run.stderr and "a Chromium" in run.stderr
    assert "sudo apt-get install -y nodejs npm chromium" in run.stderr
    found = subprocess.run(["bash", str(ROOT / "tools" / "check_browser.sh")],
                           capture_output=True, text=True)
    assert found.returncode == 0, found.stderr  # this machine runs the browser test


def chapter_with_exercises(check="assert x == 2"):
    return {"cells": [md("# 장", "ko"), md("# Chapter", "en"), code("x = 2"),
                      md("## 연습 문제\n\n1. 하나\n2. 둘", "ko"), md("## Exercises\n\n1. one\n2. two", "en"),
                      md("풀이 하나", "ko", "solution"), md("solution one", "en", "solution"),
                      code(check, tags=["solution"]),
                      md("풀이 둘", "ko", "solution"), md("solution two", "en", "solution")]}


def test_exercises_pass_when_each_has_its_solution():
    assert notebooks.exercise_problems(Path("01_x.ipynb"), chapter_with_exercises()) == []


@pytest.mark.parametrize("change,words", [
    (lambda nb: nb["cells"].pop(), "2 en exercises and 1 en solutions"),
    (lambda nb: nb.update(cells=nb["cells"][:3]), "has no exercises"),
    (lambda nb: nb["cells"].__setitem__(7, code("x", tags=["solution"])), "checks nothing (no assert)"),
    (lambda nb: nb["cells"].insert(2, md("풀이", "ko", "solution")), "comes before the exercises"),
])
def test_exercise_problems_are_found(change, words):
    nb = chapter_with_exercises()
    change(nb)
    found = "\n".join(notebooks.exercise_problems(Path("01_x.ipynb"), nb))
    assert words in found, found


def test_book_folds_solutions_and_colab_moves_them_last():
    cells = [c for c in (notebooks.edition_cell(c, "ko") for c in chapter_with_exercises()["cells"]) if c]
    folded = notebooks.folded_solutions(cells, "ko")
    assert folded[3]["source"].startswith("````{admonition} 풀이 1\n:class: dropdown\n\n풀이 하나")
    assert "hide-cell" in folded[4]["metadata"]["tags"]
    assert folded[5]["source"].startswith("````{admonition} 풀이 2")
    last = notebooks.solutions_last(cells, "ko")
    assert [c["source"][:8] for c in last[-4:]] == ["## 풀이\n\n위", "### 풀이 1", "assert x", "### 풀이 2"]
    assert not any(notebooks.is_solution(c) for c in last[:-4])
    nb = colab.colab_notebook(chapter_with_exercises(), "en")
    assert nb["metadata"]["colab"] == {"collapsed_sections": ["solutions"]}


def test_check_browser_lists_the_packages_ci_installs(tmp_path):
    "`.ci/run` installs what `--packages` prints: the same list the error message names."
    import shutil as sh
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "fc-list"):
        if sh.which(tool):
            (bin_dir / tool).symlink_to(sh.which(tool))
    script = str(ROOT / "tools" / "check_browser.sh")
    run = subprocess.run([str(bin_dir / "bash"), script, "--packages"], capture_output=True, text=True,
                         env={"PATH": str(bin_dir), "HOME": str(tmp_path)})
    assert run.returncode == 0 and run.stdout.split()[:3] == ["nodejs", "npm", "chromium"]
    here = subprocess.run(["bash", script, "--packages"], capture_output=True, text=True)
    assert here.returncode == 0 and here.stdout.strip() == ""  # nothing missing on this machine
    assert "tools/check_browser.sh --packages" in (ROOT / ".ci" / "run").read_text()


def test_korean_words_the_book_settled_against_are_found():
    nb = {"cells": [
        md("시험 데이터에서 정확도는 99%입니다.", "ko"),         # 테스트
        md("The test split.", "en"),
        code('print(t(ko="한 걸음 뒤 손실", en="loss after one step"))'),  # 스텝
        md("17번째 패치를 봅니다. 손실의 바닥은 0입니다.", "ko"),  # 17번 패치, 하한
        md("밑바닥부터 시작하는 딥러닝, 둘째 줄의 17번 패치, 테스트 데이터", "ko"),  # all fine
    ]}
    problems = notebooks.term_problems(Path("x.ipynb"), nb)
    found = [re.match(r"x\.ipynb: (\w+ cell \d+): '([^']+)'", p).groups() for p in problems]
    assert found == [("markdown cell 0", "시험"), ("code cell 2", "한 걸음"),
                     ("markdown cell 3", "바닥"), ("markdown cell 3", "17번째")], problems
    assert problems[0].endswith("'...시험 데이터에서 정확도는 99%...': write 테스트 (the held-out split) (STYLE.md)")


def test_korean_edition_serves_its_code_font(tmp_path):
    "book/build.py copies Nanum Gothic Coding (WOFF2 only) with @font-face rules that point at the copies."
    spec = importlib.util.spec_from_file_location("vitlit_book_build", ROOT / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    subprocess.run(["bash", str(ROOT / "tools" / "npm_ci.sh")], check=True)
    build.write_code_font(tmp_path)
    css = (tmp_path / build.CODE_FONT_CSS).read_text(encoding="utf-8")
    urls = re.findall(r"url\(([^)]+)\)", css)
    assert len(urls) == css.count("@font-face") > 100 and all(u.endswith(".woff2") for u in urls)
    assert all((tmp_path / u).is_file() for u in urls)
    assert {w for w in re.findall(r"font-weight: (\d+)", css)} == {"400", "700"}
    assert "html:lang(ko)" in (ROOT / "book" / "vitlit.css").read_text(encoding="utf-8")
