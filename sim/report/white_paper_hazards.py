"""The flood and fire parts of the risk white paper (:mod:`citysim.report.white_paper`).

Read from a ``citysim risk`` folder when it holds them (``flood_storms.csv``,
``fire_by_district.csv``): headline rows, recommendations computed from the
tables, and a section each.

- **Flood**: the expected annual persons exposed; the storm that contributes
  most to it; the deepest waterlogging point of the rarest storm, and the
  most frequent storm in which it is already waterlogged (0.15 m); the
  hazard map of every return period and the worst waterlogging points.
- **Fire**: the expected buildings lost per year; the first-due district
  that loses most, its share and its loss per ignition (where a stronger
  first response, one more engine or a faster call, helps most).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from citysim.hazards.flood import WATERLOGGING_DEPTH_M as WATERLOGGING_M
from citysim.humanize import number
from citysim.report.html import _e, _figure, _section, _table
from citysim.report.risk_columns import HEADERS, kind_name, read_table

__all__ = ["HAZARD_KINDS", "TEXT", "hazard_advice", "hazard_headline", "hazard_sections"]

HAZARD_KINDS = ("design_storm", "ignition")
"""``kind`` of the flood and fire rows of ``risk_inventory.csv`` (:mod:`citysim.risk.hazards`)."""
TOP_POINTS = 10
"""Waterlogging points listed."""

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "eae": "Expected persons exposed to flooding (persons/yr; water ≥ {d} m at home)",
        "fire_loss": "Expected buildings lost to fire (buildings/yr)",
        "flood": "Flood",
        "flood_note": "Design storms by return period through the flood model; expected "
                      "annual persons exposed by the trapezoid rule over the exceedance "
                      "probabilities 1/T, the rare tail held at the rarest storm's exposure.",
        "flood_map": "Deepest water of the {t}-year storm; circles: the deepest waterlogging "
                     "points.",
        "points": "Worst waterlogging points of the {t}-year storm",
        "points_note": "The deepest {shown} of {n} waterlogging points ({file} has them all).",
        "fire": "Fire",
        "fire_note": "Ignitions by building class through the fire model with the city's "
                     "engines responding; expected buildings lost per year by the first-due "
                     "district of the station whose engine arrives first.",
        "fire_map": "Buildings coloured by their district's expected loss per year.",
        "advice_storm": "The {t}-year storm contributes most to the persons exposed to "
                        "flooding: {share} of {eae} per year.",
        "advice_point": "The worst waterlogging point is {name} at ({x}, {y}) m: {depth} m of "
                        "water in the {t}-year storm, waterlogged from the {first}-year storm "
                        "on; drain it first.",
        "advice_fire": "{name} ({id}) loses most buildings to fire: {loss}{se} buildings per year "
                       "({share} of the city's), {per} per ignition; a stronger first response "
                       "there (one more engine, a faster call) lowers the loss most.",
    },
    "zh": {
        "eae": "每年预期受淹人数（人/年；住处积水 ≥ {d} 米）",
        "fire_loss": "每年预期火灾烧毁建筑（栋/年）",
        "flood": "内涝",
        "flood_note": "按重现期的设计暴雨经洪涝模型计算；每年预期受淹人数为按超越概率 1/T "
                      "的梯形积分，超过最大重现期的尾部按最大重现期的受淹人数计。",
        "flood_map": "{t} 年一遇暴雨的最大积水深度；圆圈为最深的内涝点。",
        "points": "{t} 年一遇暴雨的最严重内涝点",
        "points_note": "共 {n} 个内涝点，列出最深的 {shown} 个（全部见 {file}）。",
        "fire": "火灾",
        "fire_note": "按建筑类别的起火频率经火灾模型计算（城市消防力量出动扑救）；"
                     "按首先到场消防站的辖区统计每年预期烧毁建筑数。",
        "fire_map": "建筑按所在辖区的每年预期损失着色。",
        "advice_storm": "{t} 年一遇暴雨对受淹人数贡献最大：占每年 {eae} 人中的 {share}。",
        "advice_point": "最严重的内涝点为 {name}（{x}, {y} 米）：{t} 年一遇暴雨时积水 "
                        "{depth} 米，自 {first} 年一遇暴雨起即积水；应优先治理。",
        "advice_fire": "{name}（{id}）辖区火灾损失最大：每年 {loss}{se} 栋（占全市的 {share}），"
                       "每次起火 {per} 栋；加强该辖区的首批出动力量（增加一辆消防车、"
                       "缩短报警时间）降低损失最多。",
    },
}
"""The flood and fire words of the white paper by language."""


def _label(t: float) -> str:
    return f"T{t:g}"


def hazard_headline(folder: Path, summary: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Headline rows of the flood and fire parts (none without them)."""
    t = TEXT[lang]
    rows = []
    if "flood_expected_persons_exposed_per_year" in summary:
        rows.append((t["eae"].format(d=summary.get("flood_exposure_depth_m", WATERLOGGING_M)),
                     number(summary["flood_expected_persons_exposed_per_year"])))
    if "fire_expected_buildings_lost_per_year" in summary:
        rows.append((t["fire_loss"], number(summary["fire_expected_buildings_lost_per_year"])))
    return rows


def _first_waterlogged(folder: Path, storms: pd.DataFrame, name: str) -> float | None:
    """The most frequent storm in which the point ``name`` reached :data:`WATERLOGGING_M`."""
    for t in storms["return_period_years"]:
        table = read_table(folder, f"flood/waterlogging_{_label(float(t))}.csv")
        if table is not None:
            hit = table[(table["name"] == name) & (table["max_depth_m"].astype(float)
                                                   >= WATERLOGGING_M)]
            if len(hit):
                return float(t)
    return None


def _plus_minus(se: Any) -> str:
    """`` ± se`` (the sampling error), or nothing when it is unknown."""
    try:
        value = float(se)
    except (TypeError, ValueError):
        return ""
    return f" ± {value:.3g}" if math.isfinite(value) else ""  # NaN: one ignition per stratum


def hazard_advice(folder: Path, lang: str) -> list[str]:
    """Recommendations computed from the flood and fire tables (module doc)."""
    t = TEXT[lang]
    items = []
    storms = read_table(folder, "flood_storms.csv")
    if storms is not None and len(storms):
        eae = float(storms["persons_exposed_per_year"].astype(float).sum())
        if eae > 0:
            top = storms.loc[storms["persons_exposed_per_year"].astype(float).idxmax()]
            items.append(t["advice_storm"].format(
                t=f"{float(top['return_period_years']):g}", eae=number(eae),
                share=f"{100.0 * float(top['persons_exposed_per_year']) / eae:.0f} %"))
        rarest = float(storms["return_period_years"].astype(float).max())
        points = read_table(folder, f"flood/waterlogging_{_label(rarest)}.csv")
        if points is not None and len(points) and float(points["max_depth_m"].iloc[0]) \
                >= WATERLOGGING_M:
            worst = points.iloc[0]
            first = _first_waterlogged(folder, storms, str(worst["name"]))
            items.append(t["advice_point"].format(
                name=worst["name"], x=f"{float(worst['x']):.0f}", y=f"{float(worst['y']):.0f}",
                depth=f"{float(worst['max_depth_m']):.2f}", t=f"{rarest:g}",
                first=f"{first:g}" if first is not None else f"{rarest:g}"))
    districts = read_table(folder, "fire_by_district.csv")
    if districts is not None and len(districts):
        top = districts.iloc[0]  # ranked by expected loss
        if float(top["expected_buildings_lost_per_year"]) > 0:
            items.append(t["advice_fire"].format(
                name=top["name"], id=top["district"],
                loss=f"{float(top['expected_buildings_lost_per_year']):.3g}",
                se=_plus_minus(top.get("standard_error_per_year", "")),
                share=f"{100.0 * float(top['share_of_total']):.0f} %",
                per=f"{float(top['buildings_lost_per_ignition']):.3g}"))
    return items


def hazard_sections(folder: Path, lang: str) -> list[tuple[str, str, str]]:
    """The flood and fire sections of the white paper (none without them)."""
    t = TEXT[lang]
    sections = []
    storms = read_table(folder, "flood_storms.csv")
    if storms is not None and len(storms):
        parts = [_table(storms, columns=[
            "return_period_years", "exceedance_probability_per_year", "rain_mm",
            "peak_rain_mm_h", "max_depth_m", "waterlogging_points", "persons_exposed",
            "persons_exposed_per_year"], headers=HEADERS[lang], note=" " + t["flood_note"])]
        for value in storms["return_period_years"].astype(float):
            png = folder / "flood" / f"max_depth_{_label(value)}.png"
            if png.is_file():
                parts.append(_figure(png.read_bytes(), t["flood_map"].format(t=f"{value:g}"),
                                     name=f"flood/{png.name}"))
        rarest = float(storms["return_period_years"].astype(float).max())
        points = read_table(folder, f"flood/waterlogging_{_label(rarest)}.csv")
        if points is not None and len(points):
            parts.append(f"<h3>{_e(t['points'].format(t=f'{rarest:g}'))}</h3>")
            points = points.assign(kind=points["kind"].map(lambda k: kind_name(k, lang)))
            parts.append(_table(points.head(TOP_POINTS), columns=[
                "rank", "kind", "name", "x", "y", "max_depth_m", "t_closed_s"],
                headers=HEADERS[lang], note=" " + t["points_note"].format(
                    shown=min(TOP_POINTS, len(points)), n=number(len(points)),
                    file=f"flood/waterlogging_{_label(rarest)}.csv")))
        sections.append(_section("flood", t["flood"], "".join(parts)))
    districts = read_table(folder, "fire_by_district.csv")
    if districts is not None and len(districts):
        shown = districts.assign(share_of_total=districts["share_of_total"].astype(float).map(
            lambda v: f"{100.0 * v:.0f} %"))
        parts = [_table(shown, headers=HEADERS[lang], note=" " + t["fire_note"])]
        png = folder / "fire_by_district.png"
        if png.is_file():
            parts.append(_figure(png.read_bytes(), t["fire_map"], name=png.name))
        sections.append(_section("fire", t["fire"], "".join(parts)))
    return sections
