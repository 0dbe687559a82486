"""Every figure helper draws Korean text with no missing glyph, using the font the package ships."""
import inspect
import warnings

import matplotlib.pyplot as plt
import pytest
import torch

import vit_lit
from vit_lit import viz

CALLS = {
    "show_images": lambda: viz.show_images(torch.rand(4, 1, 8, 8), labels=[1, 2, 3, 4], title="숫자 이미지 −1"),
    "show_image": lambda: viz.show_image(torch.rand(3, 32, 32), title="사진 (패치)", patch_size=8),
    "show_matrix": lambda: viz.show_matrix(torch.randn(5, 6), "가중치 −0.5", "열 번호", "행 번호", kind="signed",
                                           mark_rows={0: "분류 토큰"}),
    "show_maps": lambda: viz.show_maps(torch.rand(3, 16), (4, 4), titles=["헤드 1", "헤드 2", "헤드 3"],
                                       image=torch.rand(3, 16, 16), suptitle="어텐션 −"),
}


def test_every_helper_is_covered():
    helpers = {name for name, f in inspect.getmembers(viz, inspect.isfunction)
               if name.startswith("show_") and f.__module__ == viz.__name__}
    assert helpers == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_korean_figure_has_no_missing_glyph(name):
    before = vit_lit.get_lang()
    vit_lit.set_lang("ko")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            CALLS[name]()
            for num in plt.get_fignums():
                plt.figure(num).canvas.draw()
    finally:
        plt.close("all")
        vit_lit.set_lang(before)


def test_missing_glyph_would_be_caught():
    """The check above can fail: with only DejaVu Sans, Hangul is a missing glyph."""
    with plt.rc_context({"font.family": ["DejaVu Sans"]}):
        with pytest.warns(UserWarning, match="missing from font"):
            fig, ax = plt.subplots()
            ax.set_title("패치")
            fig.canvas.draw()
    plt.close("all")


def test_font_comes_from_the_package():
    path = viz.korean_font_path()
    assert path.is_file() and "koreanize_matplotlib" in str(path)
    assert viz.KOREAN_FONT in plt.rcParams["font.family"]


def test_bad_figure_input():
    with pytest.raises(ValueError, match="2-D tensor, got shape"):
        viz.show_matrix(torch.rand(2, 3, 4), "t", "x", "y")
    with pytest.raises(ValueError, match="unknown kind 'hot'"):
        viz.show_matrix(torch.rand(2, 3), "t", "x", "y", kind="hot")
    with pytest.raises(ValueError, match="grid 3x3 has 9 cells"):
        viz.show_maps(torch.rand(2, 16), (3, 3))
    plt.close("all")
