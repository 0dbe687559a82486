"""vit_lit.small_data: reading the sweep that chapter 16 draws, its summary known by hand, and the
errors for a missing or broken results file."""
import json

import pytest

from vit_lit.small_data import load_sweep, summarize_sweep, sweep_path


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run(variant, budget, seed, acc, epochs=2):
    return json.dumps(dict(variant=variant, budget=budget, seed=seed, val_accuracy=acc,
                           parameters=10, epochs=epochs))


def test_summary_by_hand(tmp_path):
    path = write(tmp_path / "s.jsonl", [
        run("a", 30, 0, 0.5), run("a", 30, 1, 0.7), run("a", 30, 2, 0.9, epochs=5), "",
        run("a", 60, 0, 0.8),                              # one seed: left out below
        run("cnn", 30.0, 0, 0.97), run("cnn", 30, 1, 0.99)])
    runs = load_sweep(path)
    assert len(runs) == 6                                  # the blank line is skipped
    s = summarize_sweep(runs, min_seeds=2)
    assert list(s) == ["a", "cnn"] and list(s["a"]) == [30.0]
    assert s["a"][30.0] == pytest.approx(dict(mean=0.7, low=0.5, high=0.9, n=3, parameters=10,
                                              epochs=3.0))
    assert s["cnn"][30.0]["mean"] == pytest.approx(0.98)
    assert list(summarize_sweep(runs, min_seeds=1)["a"]) == [30.0, 60.0]
    assert summarize_sweep(runs, min_seeds=4) == {}


def test_the_shipped_sweep_is_readable_and_complete_where_the_chapter_reads_it():
    runs = load_sweep()
    assert runs and sweep_path().name == "small_data.jsonl"
    keys = {(r["variant"], r["budget"], r["seed"]) for r in runs}
    assert len(keys) == len(runs), "a run appears twice"
    summary = summarize_sweep(runs)
    for budget in (30.0, 60.0):                            # every original row, three seeds
        assert all(budget in summary[v] for v in ("shipped", "spt", "conv-stem", "cnn"))


@pytest.mark.parametrize("lines, error, match", [
    (['{"variant": "spt"'], ValueError, r"line 1 of .* is not JSON .*one run as bench"),
    ([run("a", 30, 0, 0.5), '{"variant": "spt", "budget": 30}'], ValueError,
     r"line 2 of .* lacks \['seed', 'val_accuracy'\]; each run needs"),
    (["[1, 2]"], ValueError, r"line 1 of .* lacks \['variant', 'budget', 'seed', 'val_accuracy'\]"),
])
def test_a_broken_results_file_names_the_line(tmp_path, lines, error, match):
    with pytest.raises(error, match=match):
        load_sweep(write(tmp_path / "bad.jsonl", lines))


def test_a_missing_results_file_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no sweep results at .*missing.jsonl.*"
                       r"bench/small_data.py --out PATH"):
        load_sweep(tmp_path / "missing.jsonl")


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_min_seeds_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match=f"min_seeds must be a positive integer, got {bad!r}"):
        summarize_sweep([], min_seeds=bad)
