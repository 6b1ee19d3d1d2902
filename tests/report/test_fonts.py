"""Chinese text is drawn, not boxes: in the HTML report on a browser without a CJK font, and
in figures."""

import re

import pytest
from matplotlib.figure import Figure

from citysim.plots import save_figure
from citysim.plots.fonts import cjk_font
from citysim.report.fonts import EMBEDDED_FAMILY, embedded_font_css
from citysim.report.html import CSS, write_report
from tests.report.browser import cjk_glyphs

FONT_FACE = re.compile(r"@font-face\{[^}]*\}")


def test_a_cjk_font_is_installed():
    # scripts/test installs fonts-noto-cjk: the report embeds from it, figures draw with it
    assert cjk_font() is not None


def test_report_draws_chinese_in_a_browser_without_a_cjk_font(storm, tmp_path):
    _, folder = storm
    report = write_report(folder)
    page = report.read_text(encoding="utf-8")
    assert "建标152-2017" in page
    [rule] = FONT_FACE.findall(page)
    assert f'"{EMBEDDED_FAMILY}"' in rule and f'"{EMBEDDED_FAMILY}"' in CSS
    assert len(rule) < 100_000  # a subset: the glyphs the page uses, not the whole font
    assert cjk_glyphs(report, tmp_path, "建标") == "drawn"
    # the same page without the embedded font: boxes, so the check above can fail
    bare = tmp_path / "bare.html"
    bare.write_text(FONT_FACE.sub("", page), encoding="utf-8")
    assert cjk_glyphs(bare, tmp_path, "建标") == "tofu"


def test_no_font_is_embedded_without_chinese_text():
    assert embedded_font_css("Response time ≤ 5 min (NFPA 1710)") == ""


@pytest.mark.parametrize("label", ["建", "标"])
def test_figures_draw_chinese_glyphs(tmp_path, label):
    # a glyph missing from every font of a text warns (an error under pytest's settings here)
    fig = Figure(figsize=(1, 1), dpi=40)
    ax = fig.subplots()
    ax.set_title(label, fontsize=24)
    save_figure(fig, tmp_path / f"{label}.png")


def test_figure_glyphs_differ(tmp_path):
    paths = []
    for label in ("建", "标"):
        fig = Figure(figsize=(1, 1), dpi=40)
        fig.text(0.2, 0.3, label, fontsize=24)
        paths.append(save_figure(fig, tmp_path / f"{label}.png"))
    assert paths[0].read_bytes() != paths[1].read_bytes()  # two glyphs, not two boxes
