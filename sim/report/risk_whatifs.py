"""The what-ifs of the risk white paper: a risk folder's ``variants:`` before and after.

When ``citysim risk`` ran a file with ``variants:`` (:mod:`citysim.risk.variants`),
the white paper (:mod:`citysim.report.white_paper`) gains a section with the
base and every variant side by side (``variants.csv``: PLL, the highest
individual risk at the receptors, the places breaking their criterion, each
with its change against the base), the risk maps before and after and the
F-N curves overlaid, and recommendations computed from the table: the
variant that lowers PLL most, and by how much, and with ``fire:`` the one
that lowers the expected fire loss most (``fire_change``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from citysim.humanize import number
from citysim.report.html import _figure, _section, _table

__all__ = ["TABLE", "what_if_advice", "what_if_section"]

TABLE = "variants.csv"
"""The comparison table of a risk folder with variants."""

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "What-ifs",
        "note": "The base and each variant (the folder variants/ID holds its full "
                "results, variants.csv the risk at every receptor); changes are against "
                "the base.",
        "maps": "Individual risk per year before (base) and after each what-if, one colour "
                "scale.",
        "fn": "F-N curves of the base and each what-if (static QRA; dashed: dynamic), "
              "against the Netherlands guide.",
        "best": "Of the what-ifs, {name} lowers PLL most: from {before} to {after} per year "
                "({change}); places breaking their criterion: {bad_before} before, "
                "{bad_after} after.",
        "none": "None of the what-ifs lowers PLL.",
        "fire": "Of the what-ifs, {name} lowers the expected fire loss most: from {before} to "
                "{after} buildings per year ({change}).",
    },
    "zh": {
        "title": "情景比较",
        "note": "基准与各情景（variants/ID 文件夹中为其全部结果，variants.csv 中为各受体点的"
                "风险）；变化均相对于基准。",
        "maps": "基准与各情景的个人风险（每年），同一色标。",
        "fn": "基准与各情景的 F-N 曲线（静态评价；虚线：动态），与荷兰标准线比较。",
        "best": "各情景中，{name} 使 PLL 降低最多：由每年 {before} 降至 {after}（{change}）；"
                "超出标准的场所由 {bad_before} 处变为 {bad_after} 处。",
        "none": "没有情景能降低 PLL。",
        "fire": "各情景中，{name} 使火灾预期损失降低最多：由每年 {before} 栋降至 {after} 栋"
                "（{change}）。",
    },
}
"""The section's words by language."""


def _sci(value: float) -> str:
    return f"{value:.2g}" if value and math.isfinite(value) else ("0" if value == 0 else "—")


def _pct(value: float) -> str:
    return f"{100.0 * value:+.0f} %" if math.isfinite(value) else "—"


def _read(folder: Path) -> pd.DataFrame | None:
    path = Path(folder) / TABLE
    return pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.is_file() else None


def what_if_advice(folder: Path, lang: str) -> list[str]:
    """The recommendation of the what-ifs (none without ``variants.csv``)."""
    table = _read(folder)
    if table is None or len(table) < 2:
        return []
    t = TEXT[lang]
    base, rest = table.iloc[0], table.iloc[1:]
    best = rest.loc[rest["pll_per_year"].idxmin()]
    items = [t["none"]] if best["pll_per_year"] >= base["pll_per_year"] else [t["best"].format(
        name=f"{best['name']} ({best['variant']})", before=_sci(base["pll_per_year"]),
        after=_sci(best["pll_per_year"]), change=_pct(best["pll_change"]),
        bad_before=int(base["places_breaking_criterion"]),
        bad_after=int(best["places_breaking_criterion"]))]
    lost = "fire_buildings_lost_per_year"
    if lost in table:
        fire = rest.loc[rest[lost].idxmin()]
        if fire[lost] < base[lost]:
            items.append(t["fire"].format(name=f"{fire['name']} ({fire['variant']})",
                                          before=number(base[lost]), after=number(fire[lost]),
                                          change=_pct(fire["fire_change"])))
    return items


def what_if_section(folder: Path, lang: str) -> tuple[str, str, str]:
    """The what-ifs section: the table and the two figures (empty without ``variants.csv``)."""
    t = TEXT[lang]
    table = _read(folder)
    if table is None:
        return _section("whatifs", t["title"], "")
    shown = table.assign(**{c: table[c].map(_sci) for c in table.columns
                            if c.endswith("_per_year") or c.startswith("ir_")},
                         **{c: table[c].map(_pct) for c in table.columns
                            if c.endswith("_change") and c != "places_breaking_change"})
    body = _table(shown, columns=[c for c in shown.columns if not c.startswith("ir_")],
                  note=" " + t["note"])
    for file, caption in (("variants_individual_risk.png", t["maps"]),
                          ("variants_fn_curve.png", t["fn"])):
        body += _figure((Path(folder) / file).read_bytes(), caption, name=file)
    return _section("whatifs", t["title"], body)
