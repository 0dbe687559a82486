import os
import subprocess
import sys

import pytest

import vit_lit


def test_t_follows_set_lang():
    before = vit_lit.get_lang()
    try:
        vit_lit.set_lang("ko")
        assert vit_lit.t(ko="패치", en="patch") == "패치"
        vit_lit.set_lang("en")
        assert vit_lit.t(ko="패치", en="patch") == "patch"
    finally:
        vit_lit.set_lang(before)


def test_unknown_language_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown language 'fr'; use one of 'en', 'ko'"):
        vit_lit.set_lang("fr")


def run_with_lang(value):
    env = {**os.environ, "VIT_LIT_LANG": value}
    return subprocess.run([sys.executable, "-c", "import vit_lit; print(vit_lit.t(ko='한', en='en'))"],
                          env=env, capture_output=True, text=True)


def test_environment_variable_picks_the_language():
    assert run_with_lang("ko").stdout.strip() == "한"
    assert run_with_lang("en").stdout.strip() == "en"
    bad = run_with_lang("kr")
    assert bad.returncode != 0 and "unknown language 'kr'" in bad.stderr and "VIT_LIT_LANG" in bad.stderr


def test_empty_environment_variable_means_unset():
    # `VIT_LIT_LANG=` (set but empty), as some shells and CI files leave it: the default, English.
    empty = run_with_lang("")
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == "en"


def test_pad_counts_hangul_as_two_columns():
    # An f-string pads "잔차 없음" (5 characters, 9 columns) to 12 characters: 3 columns too wide.
    from vit_lit.i18n import columns, pad
    assert columns("잔차 없음") == 9 and columns("without") == 7 and columns("ＡＢ") == 4
    assert pad("잔차 없음", 12) == "   잔차 없음" and pad("잔차 없음", 12, "<") == "잔차 없음   "
    assert columns(pad("로지스틱 회귀", 20)) == columns(pad("SVM (RBF)", 20)) == 20
    assert pad("로지스틱 회귀", 4) == "로지스틱 회귀"  # longer than the width: left whole


def test_pad_refuses_an_unknown_alignment():
    from vit_lit.i18n import pad
    with pytest.raises(ValueError, match=r"unknown align '\^'; use '>' \(right\) or '<' \(left\)"):
        pad("패치", 6, "^")
