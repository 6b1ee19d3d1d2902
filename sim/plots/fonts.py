"""Chinese text in figures and reports: the CJK fonts installed on this machine.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs, so a label such
as 建标152-2017 or a shelter named 人民公园 is drawn as empty boxes. Matplotlib
(>= 3.6) falls back glyph by glyph along a text's list of families:
:func:`add_cjk_fallback` appends the CJK families found here to the list of
every text of a figure before it is saved. :func:`cjk_font` names the font
file the HTML report embeds a subset of. The project's test script installs
Debian's ``fonts-noto-cjk``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = ["CJK_FAMILIES", "CjkFont", "add_cjk_fallback", "cjk_families", "cjk_font"]

CJK_FAMILIES = (
    "Noto Sans CJK SC",      # Debian/Ubuntu fonts-noto-cjk
    "Source Han Sans SC",    # the same design under Adobe's name
    "Noto Sans SC",
    "WenQuanYi Zen Hei",     # fonts-wqy-zenhei
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",       # Windows
    "PingFang SC",           # macOS
    "Heiti SC",
    "SimHei",
)
"""Simplified-Chinese sans-serif families, most preferred first."""


@dataclass(frozen=True)
class CjkFont:
    """A CJK font face on this machine.

    Attributes
    ----------
    family
        Family name, e.g. ``Noto Sans CJK SC``.
    path
        The font file (``.ttf``, ``.otf`` or a ``.ttc`` collection).
    index
        The face's index in a collection (0 in a single-face file).
    """

    family: str
    path: Path
    index: int


def _regular_faces() -> dict[str, CjkFont]:
    faces: dict[str, CjkFont] = {}
    for entry in font_manager.fontManager.ttflist:
        if entry.name in CJK_FAMILIES and entry.style == "normal" and entry.weight in (
                400, "normal", "regular"):
            faces.setdefault(entry.name, CjkFont(entry.name, Path(entry.fname),
                                                 int(getattr(entry, "index", 0))))
    return faces


def cjk_families() -> list[str]:
    """Return the families of :data:`CJK_FAMILIES` installed here, most preferred first."""
    faces = _regular_faces()
    return [name for name in CJK_FAMILIES if name in faces]


def cjk_font() -> CjkFont | None:
    """Return the preferred regular CJK face installed here, or ``None`` when there is none."""
    faces = _regular_faces()
    return next((faces[name] for name in CJK_FAMILIES if name in faces), None)


def add_cjk_fallback(fig: Figure) -> Figure:
    """Let every text of ``fig`` draw Chinese glyphs from the CJK families installed here.

    Latin text keeps its font; a glyph its fonts lack (Chinese) comes from the
    first CJK family that has it. Without a CJK font installed, nothing changes.

    Parameters
    ----------
    fig
        The figure, changed in place.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``.
    """
    families = cjk_families()
    if families:
        for text in fig.findobj(Text):
            own = list(text.get_fontfamily())
            text.set_fontfamily([*own, *(f for f in families if f not in own)])
    return fig
