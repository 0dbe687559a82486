"""Keep the notebooks in nbs/ clean, paired and in step with settings.ini.

    python tools/notebooks.py clean     rewrite every notebook in its clean form
    python tools/notebooks.py check     fail if a notebook is not clean, a prose cell lacks its partner,
                                        a code line a reader sees is wider than 80 columns (Hangul counting two),
                                        or a chapter lacks its exercises (`exercise_problems`)

Clean means: cell metadata reduced to `tags`, notebook metadata reduced to the kernel, execution
counts renumbered 1, 2, 3... over the code cells (so nbval still compares every stored output),
and the Colab install cell (the first code cell) written from settings.ini's git_url and branch.
Paired means: every markdown cell carries exactly one tag, `ko` or `en`; they come as a `ko`
cell followed at once by its `en` partner with the same structure (headings, lists, math, links).
Fits the column: in every notebook, the book's pages (_toc.yml) and the library notebooks read on
GitHub and in Jupyter alike, every code line a reader sees (cells not tagged remove-cell /
remove-input, `#|` directives and nbval markers left out, as the book shows them: `edition_cell`)
takes at most MAX_LINE display columns, Hangul counting two.
"""
import configparser
import importlib.util
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
MAX_LINE = 80  # the book's code column shows about 76 characters (STYLE.md)
NOT_CHAPTERS = ("index", "playground")  # pages of the book that are no chapter: no exercises, no figure of their own
HIDDEN = {"remove-cell", "remove-input"}  # tags of code cells whose code the book does not show


def settings() -> configparser.SectionProxy:
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(ROOT / "settings.ini", encoding="utf-8")
    return cfg["DEFAULT"]


def book_pages() -> list[str]:
    "The notebooks of the book, by name (`index`, `00_data`, ...), in the order of _toc.yml."
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [chapter["file"] for chapter in toc["chapters"]]


def tags_of(cell: dict) -> list[str]:
    "A cell's tags (none when it has no metadata)."
    return cell.get("metadata", {}).get("tags", [])


def colab_cell_source() -> str:
    """The first code cell of every notebook: installs vit_lit in Colab, does nothing elsewhere."""
    cfg = settings()
    return (
        "#| hide\n"
        "# In Colab: install vit_lit from its repository (elsewhere this does nothing).\n"
        "import sys\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "{cfg["lib_name"]} @ git+{cfg["git_url"]}.git@{cfg["branch"]}"'
    )


def source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def edition_cell(cell: dict, lang: str) -> dict | None:
    """The cell as the `lang` edition of the book (and its Colab notebook) shows it, or None when
    the edition drops it: prose of the other language goes; code cells lose their outputs, `#|`
    directive lines and nbval markers, and `#| hide` cells are tagged remove-cell."""
    tags = list(tags_of(cell))
    if cell["cell_type"] == "markdown":
        return cell if lang in tags else None
    lines = source(cell).splitlines()
    if any(line.strip() == "#| hide" for line in lines) and "remove-cell" not in tags:
        tags.append("remove-cell")
    kept = [line for line in lines if not line.lstrip().startswith("#|") and "# NBVAL_" not in line]
    return {**cell, "metadata": {**cell.get("metadata", {}), "tags": tags}, "source": "\n".join(kept),
            "outputs": [], "execution_count": None}


def edition_cells(nb: dict, lang: str, stored: bool = False) -> list[dict]:
    "The cells `lang`'s edition shows (`edition_cell`); with `stored`, code cells keep their stored outputs."
    cells = []
    for cell in nb["cells"]:
        shown = edition_cell(cell, lang)
        if shown is None:
            continue
        if stored and cell["cell_type"] == "code":
            shown = {**shown, "outputs": cell.get("outputs", []),
                     "execution_count": cell.get("execution_count")}
        cells.append(shown)
    return cells


def _i18n():
    "vit_lit/i18n.py, loaded on its own (importing the package would import torch)."
    spec = importlib.util.spec_from_file_location("vit_lit_i18n", ROOT / "vit_lit" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


display_width = _i18n().columns  # columns a line takes in the book's monospaced code (Hangul counts two)


def long_lines(path: Path, nb: dict, limit: int = MAX_LINE) -> list[str]:
    """Code lines a reader sees (in the book, on GitHub or in Jupyter; as `edition_cell` shows a
    cell) that are wider than `limit` display columns."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        shown = edition_cell(cell, "en") if cell["cell_type"] == "code" else None
        if shown is None or HIDDEN & set(shown["metadata"]["tags"]):
            continue
        for j, line in enumerate(shown["source"].splitlines(), 1):
            if display_width(line) > limit:
                problems.append(f"{path.name}: code cell {i}, line {j} is {display_width(line)} columns wide "
                                f"(Hangul counts two; at most {limit} in code a reader sees; wrap it): "
                                f"{line.strip()[:40]}...")
    return problems


def clean(nb: dict) -> dict:
    nb = json.loads(json.dumps(nb))
    nb["metadata"] = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    count, first_code = 0, first_code_index(nb)
    for i, cell in enumerate(nb["cells"]):
        tags = tags_of(cell)
        cell["metadata"] = {"tags": tags} if tags else {}
        cell["source"] = source(cell)
        if cell["cell_type"] != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        if i == first_code:
            cell["source"] = colab_cell_source()
            cell["metadata"] = {"tags": ["remove-cell"]}
        count += 1
        cell["execution_count"] = count
        for out in cell.get("outputs", []):
            if out["output_type"] == "execute_result":
                out["execution_count"] = count
            if out["output_type"] in ("execute_result", "display_data"):
                out["metadata"] = {}
    return nb


SOLUTION = "solution"  # tag of the cells of an exercise's worked solution (prose and code)
EXERCISES = {"ko": "연습 문제", "en": "Exercises"}  # the heading (##) of a chapter's exercises
SOLUTION_TITLE = {"ko": "풀이", "en": "Solution"}
SOLUTIONS_ID = "solutions"  # id of the Colab notebooks' last section, which holds the solutions
SOLUTIONS_INTRO = {
    "ko": "## 풀이\n\n위의 연습 문제를 먼저 풀어 본 다음에 보세요. 풀이의 코드 셀은 답을 `assert`로 확인합니다.",
    "en": "## Solutions\n\nTry the exercises above first. Each solution's code checks its answer with an `assert`.",
}


def is_solution(cell: dict) -> bool:
    return SOLUTION in tags_of(cell)


def folded_solutions(cells: list[dict], lang: str) -> list[dict]:
    """The book folds every solution: its prose into a dropdown admonition titled "Solution k",
    its code behind a toggle (tag hide-cell). Readers open them on purpose."""
    out, k = [], 0
    for cell in cells:
        if is_solution(cell) and cell["cell_type"] == "markdown":
            k += 1
            body = source(cell)
            cell = {**cell, "source": f"````{{admonition}} {SOLUTION_TITLE[lang]} {k}\n"
                                      f":class: dropdown\n\n{body}\n````"}
        elif is_solution(cell):
            tags = list(tags_of(cell)) + ["hide-cell"]
            cell = {**cell, "metadata": {**cell.get("metadata", {}), "tags": tags}}
        out.append(cell)
    return out


def solutions_last(cells: list[dict], lang: str) -> list[dict]:
    """Colab shows no folded prose, so its notebooks keep the solutions out of sight in a last
    section, "Solutions", each titled "Solution k", in their order (the exercises end a chapter,
    so every solution still runs after what it uses)."""
    solutions = [c for c in cells if is_solution(c)]
    if not solutions:
        return cells
    moved, k = [], 0
    for cell in solutions:
        if cell["cell_type"] == "markdown":
            k += 1
            cell = {**cell, "source": f"### {SOLUTION_TITLE[lang]} {k}\n\n{source(cell)}"}
        moved.append(cell)
    intro = {"cell_type": "markdown", "id": SOLUTIONS_ID, "metadata": {"tags": [lang]},
             "source": SOLUTIONS_INTRO[lang]}
    return [c for c in cells if not is_solution(c)] + [intro] + moved


def exercise_problems(path: Path, nb: dict) -> list[str]:
    """A chapter's exercises: a `## Exercises` section (`## 연습 문제`) listing 2-4 items in each
    language, then one solution per item (a prose cell per language tagged `solution`, and code
    cells tagged `solution`, each checking its answer with an assert), all after the heading."""
    cells, problems = nb["cells"], []
    heads = {lang: next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
                         and lang in tags_of(c)
                         and source(c).lstrip().startswith(f"## {title}")), None)
             for lang, title in EXERCISES.items()}
    if heads["en"] is None or heads["ko"] is None:
        return [f"{path.name} has no exercises (a `## {EXERCISES['ko']}` / "
                f"`## {EXERCISES['en']}` section with solutions)"]
    for lang, at in heads.items():
        items = structure(source(cells[at]))["list items"]
        solved = sum(1 for c in cells if is_solution(c) and c["cell_type"] == "markdown"
                     and lang in tags_of(c))
        if not 2 <= items <= 4 or solved != items:
            problems.append(f"{path.name}: {items} {lang} exercises and {solved} {lang} solutions "
                            "(2-4 exercises, one solution each)")
    first = min(heads.values())
    for i, cell in enumerate(cells):
        if is_solution(cell) and i < first:
            problems.append(f"{path.name}: solution cell {i} comes before the exercises")
        if is_solution(cell) and cell["cell_type"] == "code" and "assert" not in source(cell):
            problems.append(f"{path.name}: solution code cell {i} checks nothing (no assert)")
    if not any(is_solution(c) and c["cell_type"] == "code" for c in cells):
        problems.append(f"{path.name}: no exercise asks for code (no solution code cell)")
    return problems


def first_code_index(nb: dict) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def structure(text: str) -> dict:
    """What must match between a prose cell and its partner in the other language."""
    lines = text.splitlines()
    return {
        "headings": [len(m.group(1)) for l in lines if (m := re.match(r"^(#+)\s", l))],
        "list items": sum(bool(re.match(r"^\s*(?:[-*+]|\d+\.)\s", l)) for l in lines),
        "table rows": sum(l.lstrip().startswith("|") for l in lines),
        "math blocks": text.count("$$"),
        "links": sorted(re.findall(r"\]\(([^)\s]+)\)", text)),
        "code blocks": text.count("```"),
    }


# Korean words the book has settled against (STYLE.md's Korean section): pattern -> what to write.
# Checked in ko prose and in code (whose only Hangul is the ko= strings a reader sees).
KO_AVOID = {
    r"시험": "테스트 (the held-out split)",
    r"보폭": "스트라이드",
    r"융합 경로": "빠른 경로",
    r"숫자로 (확인|보|따져|비교)": "수치로 (숫자 means the digit images)",
    r"세로줄 무늬": "세로 줄무늬",
    r"(?<!밑)바닥(?!부터)": "하한 (a lower bound)",
    r"점수": "스코어",
    r"한 걸음": "스텝",
    r"학습 장": "the chapter's number, e.g. 13장",
    r"분류 헤드": "분류기 (헤드 is an attention head)",
    r"\d+번째": "번 with the 0-based index (17번 패치), or a Korean ordinal word (둘째)",
    r"기억하세요": "합니다 style",
    r"모델에게": "모델에 / 모델이 보기에",
}


def term_problems(path: Path, nb: dict) -> list[str]:
    "Places where a ko cell or a Korean string in code uses a word of KO_AVOID."
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown" and "ko" not in tags_of(cell):
            continue
        text = source(cell)
        for pattern, use in KO_AVOID.items():
            for found in re.finditer(pattern, text):
                context = text[max(found.start() - 15, 0):found.end() + 15].replace("\n", " ")
                problems.append(f"{path.name}: {cell['cell_type']} cell {i}: '{found.group()}' in "
                                f"'...{context}...': write {use} (STYLE.md)")
    return problems


def pairing_problems(path: Path, nb: dict) -> list[str]:
    problems = []
    cells = nb["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        tags = set(tags_of(cell)) & {"ko", "en"}
        where = f"{path.name}: markdown cell {i}"
        if len(tags) != 1:
            problems.append(f"{where} must carry exactly one of the tags ko, en (has {sorted(tags)})")
        elif tags == {"ko"}:
            partner = cells[i + 1] if i + 1 < len(cells) else None
            if partner is None or partner["cell_type"] != "markdown" or "en" not in tags_of(partner):
                problems.append(f"{where} (ko) is not followed at once by its en partner")
                continue
            a, b = structure(source(cell)), structure(source(partner))
            for key in a:
                if a[key] != b[key]:
                    problems.append(f"{where} and its en partner differ in {key}: ko {a[key]} vs en {b[key]}")
        elif i == 0 or "ko" not in tags_of(cells[i - 1]):
            problems.append(f"{where} (en) has no ko partner right before it")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("clean", "check"):
        print(__doc__)
        return 2
    problems, pages = [], set(book_pages())
    for path in sorted(NBS.glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        cleaned = dumps(clean(nb))
        if argv[1] == "clean":
            if cleaned != text:
                tmp = path.with_suffix(".ipynb.tmp")
                tmp.write_text(cleaned, encoding="utf-8")
                tmp.replace(path)
                print(f"cleaned {path.relative_to(ROOT)}")
        elif cleaned != text:
            problems.append(f"{path.name} is not clean: run `make clean`")
        problems += pairing_problems(path, nb)
        problems += term_problems(path, nb)
        problems += long_lines(path, nb)  # library notebooks too: read on GitHub and in Jupyter
        if path.stem in pages and path.stem not in NOT_CHAPTERS:
            problems += exercise_problems(path, nb)  # every chapter has exercises
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
