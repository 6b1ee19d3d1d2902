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

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from citysim.humanize import number
from citysim.report.html import _e, _figure, _section, _table
from citysim.report.risk_columns import HEADERS, change, read_table, sci

__all__ = ["TABLE", "what_if_advice", "what_if_section"]

TABLE = "variants.csv"
"""The comparison table of a risk folder with variants."""
NBSP = "\u00a0"
"""Keeps a value and its change on one line of a table cell."""

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
        "best": "Of the what-ifs, {name} lowers PLL most: from {before} to {after} deaths per year "
                "({change}); places breaking their criterion: {bad_before} before, "
                "{bad_after} after.",
        "none": "None of the what-ifs lowers PLL.",
        "fire": "Of the what-ifs, {name} lowers the expected fire loss most: from {before} to "
                "{after} buildings per year ({change}).",
        "fire_map": "Fire after the what-if {name}: expected buildings lost per year in the "
                    "districts of the base plan, on the base's colour scale. The added "
                    "station (open star) has no district of its own: the fires its engines "
                    "fight are counted in the base district where they start.",
        "flood": "Flood: the same for the base and every what-if ({eae} persons exposed per "
                 "year).",
    },
    "zh": {
        "title": "情景比较",
        "note": "基准与各情景（variants/ID 文件夹中为其全部结果，variants.csv 中为各受体点的"
                "风险）；变化均相对于基准。",
        "maps": "基准与各情景的个人风险（/年），同一色标。",
        "fn": "基准与各情景的 F-N 曲线（静态评价；虚线：动态），与荷兰社会风险标准线比较。",
        "best": "各情景中，{name} 使 PLL 降低最多：由每年 {before} 人降至 {after} 人（{change}）；"
                "超出标准的场所由 {bad_before} 处变为 {bad_after} 处。",
        "none": "没有情景能降低 PLL。",
        "fire": "各情景中，{name} 使火灾预期损失降低最多：由每年 {before} 栋降至 {after} 栋"
                "（{change}）。",
        "fire_map": "情景 {name} 的火灾：按基准方案的辖区统计的每年预期烧毁建筑，色标与基准相同。"
                    "新增消防站"
                    "（空心星）不单独划分辖区：其扑救的火灾计入起火所在的基准辖区。",
        "flood": "内涝：基准与各情景相同（每年受淹 {eae} 人）。",
    },
}
"""The section's words by language."""


def what_if_advice(folder: Path, lang: str) -> list[str]:
    """The recommendation of the what-ifs (none without ``variants.csv``)."""
    table = read_table(folder, TABLE, empty_is_nan=True)
    if table is None or len(table) < 2:
        return []
    t = TEXT[lang]
    base, rest = table.iloc[0], table.iloc[1:]
    best = rest.loc[rest["pll_per_year"].idxmin()]
    items = [t["none"]] if best["pll_per_year"] >= base["pll_per_year"] else [t["best"].format(
        name=f"{best['name']} ({best['variant']})", before=sci(base["pll_per_year"]),
        after=sci(best["pll_per_year"]), change=change(best["pll_change"]),
        bad_before=int(base["places_breaking_criterion"]),
        bad_after=int(best["places_breaking_criterion"]))]
    lost = "fire_buildings_lost_per_year"
    if lost in table:
        fire = rest.loc[rest[lost].idxmin()]
        if fire[lost] < base[lost]:
            items.append(t["fire"].format(name=f"{fire['name']} ({fire['variant']})",
                                          before=number(base[lost]), after=number(fire[lost]),
                                          change=change(fire["fire_change"])))
    return items


def _with_change(value: pd.Series, delta: pd.Series, fmt: Callable[[float], str]) -> pd.Series:
    """``value (change)`` cells: a value and its change against the base (none on the base)."""
    out = value.map(fmt) + NBSP + "(" + delta.map(change).str.replace(" ", NBSP) + ")"
    out.iloc[0] = fmt(value.iloc[0])
    return out


def _shown(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The comparison table as shown: one column per quantity, its change beside the value."""
    shown = pd.DataFrame({"variant": table["variant"].astype(str) + ": "
                          + table["name"].astype(str)})
    shown["pll"] = _with_change(table["pll_per_year"], table["pll_change"], sci)
    if "pll_dynamic_per_year" in table:
        shown["pll_dynamic"] = _with_change(table["pll_dynamic_per_year"],
                                            table["pll_dynamic_change"], sci)
    shown["receptor_ir"] = _with_change(table["max_receptor_ir_per_year"],
                                        table["max_receptor_ir_change"], sci)
    shown["max_individual_risk_per_year"] = table["max_individual_risk_per_year"].map(sci)
    shown["places_breaking"] = [
        f"{int(n)}: {ids}" if isinstance(ids, str) and ids else str(int(n))
        for n, ids in zip(table["places_breaking_criterion"], table["places_breaking"],
                          strict=True)]
    if "fire_buildings_lost_per_year" in table:
        shown["fire"] = _with_change(table["fire_buildings_lost_per_year"],
                                     table["fire_change"], number)
    shown.iloc[0, 0] = {"en": "base", "zh": "基准"}[lang]
    return shown


def what_if_section(folder: Path, lang: str) -> tuple[str, str, str]:
    """The what-ifs section: the table and the two figures (empty without ``variants.csv``)."""
    t = TEXT[lang]
    table = read_table(folder, TABLE, empty_is_nan=True)
    if table is None:
        return _section("whatifs", t["title"], "")
    body = _table(_shown(table, lang), headers=HEADERS[lang], note=" " + t["note"])
    if "flood_persons_exposed_per_year" in table:
        eae = number(table["flood_persons_exposed_per_year"].iloc[0])
        body += f"<p class=note>{_e(t['flood'].format(eae=eae))}</p>"
    for file, caption in (("variants_individual_risk.png", t["maps"]),
                          ("variants_fn_curve.png", t["fn"])):
        body += _figure((Path(folder) / file).read_bytes(), caption, name=file)
    if "fire_change" in table:
        for row in table.iloc[1:].itertuples():
            png = Path(folder) / "variants" / str(row.variant) / "fire_by_district.png"
            if row.fire_change != 0 and png.is_file():
                body += _figure(png.read_bytes(), t["fire_map"].format(
                    name=f"{row.name} ({row.variant})"),
                    name=f"variants/{row.variant}/{png.name}")
    return _section("whatifs", t["title"], body)
