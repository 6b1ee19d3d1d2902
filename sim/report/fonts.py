"""A CJK font embedded in the HTML report, so Chinese text never shows as empty boxes.

The report names China's standards in Chinese (建标152-2017) and may quote
Chinese place names. A browser without a CJK font (headless Chromium on a
fresh machine, many servers) draws those characters as empty boxes. The page
therefore carries, as a ``data:`` URL, the glyphs of the characters it uses
(a few kB), cut with fontTools from the CJK font installed where the report
is made (:func:`citysim.plots.fonts.cjk_font`). Where no CJK font is
installed, nothing is embedded and the reader's own fonts are used.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

from citysim.plots.fonts import cjk_font

__all__ = ["EMBEDDED_FAMILY", "cjk_characters", "embedded_font_css"]

EMBEDDED_FAMILY = "citysim CJK"
"""The CSS family name of the embedded subset."""

_FIRST_CJK = 0x2E80
"""First code point of the CJK blocks (radicals; then kana, ideographs, full-width forms)."""


def cjk_characters(text: str) -> str:
    """Return the distinct CJK characters of ``text``, sorted.

    Parameters
    ----------
    text
        Any text (an HTML page).

    Returns
    -------
    str
        Characters from U+2E80 up (CJK radicals, punctuation, kana, ideographs,
        full-width forms); empty when there are none.
    """
    return "".join(sorted({c for c in text if ord(c) >= _FIRST_CJK}))


@lru_cache(maxsize=8)
def _subset_b64(characters: str) -> str | None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    face = cjk_font()
    if face is None:
        return None
    options = subset.Options()
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    buffer = io.BytesIO()
    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        subsetter.subset(font)
        font.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def embedded_font_css(text: str) -> str:
    """Return an ``@font-face`` rule embedding the CJK glyphs ``text`` uses.

    Parameters
    ----------
    text
        The page (its CJK characters are the ones embedded).

    Returns
    -------
    str
        A rule declaring :data:`EMBEDDED_FAMILY` from a ``data:`` URL; empty
        when ``text`` has no CJK character or no CJK font is installed here.
    """
    characters = cjk_characters(text)
    data = _subset_b64(characters) if characters else None
    if data is None:
        return ""
    return (f'@font-face{{font-family:"{EMBEDDED_FAMILY}";'
            f'src:url(data:font/otf;base64,{data}) format("opentype")}}')
