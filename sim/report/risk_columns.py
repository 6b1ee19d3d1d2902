"""Column headings of the risk white paper's tables, with their units, by language.

The tables of :mod:`citysim.report.white_paper`,
:mod:`citysim.report.white_paper_hazards` and :mod:`citysim.report.risk_whatifs`
keep the CSV column names (their unit suffixes choose the number format);
the reader sees these headings instead: short, with the unit, in the page's
language, so that a header wraps instead of widening the table. Place kinds
and substances are named in the page's language too. The number formats
those tables share (:func:`sci`, :func:`change`) and their CSV reader
(:func:`read_table`) live here too.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

__all__ = ["HEADERS", "KINDS", "SUBSTANCES", "change", "kind_name", "read_table", "sci",
           "substance_name"]

HEADERS: dict[str, dict[str, str]] = {
    "en": {
        # risk inventory and places
        "site": "Site", "substance": "Substance", "loss": "Loss of containment",
        "frequency_per_year": "Frequency (/yr)",
        "lethal_1pct_distance_m": "1 % lethality reach (m)",
        "lethal_50pct_distance_m": "50 % lethality reach (m)",
        "pll_static_per_year": "PLL static (deaths/yr)",
        "pll_dynamic_per_year": "PLL dynamic (deaths/yr)",
        "share_of_total": "Share of the total",
        "places_breaking_criterion": "Places breaking a criterion",
        "place": "Place", "name": "Name", "kind": "Kind", "class": "Class",
        "criterion_per_year": "Criterion (/yr)",
        "individual_risk_per_year": "Individual risk (/yr)",
        "main_source": "Main source",
        # what-ifs
        "variant": "What-if", "pll": "PLL static (deaths/yr, change)",
        "pll_dynamic": "PLL dynamic (deaths/yr, change)",
        "receptor_ir": "Highest individual risk at a receptor (/yr, change)",
        "max_individual_risk_per_year": "Highest individual risk on the map (/yr)",
        "places_breaking": "Places breaking a criterion (count: ids)",
        "fire": "Fire: buildings lost (/yr, change)",
        # flood
        "return_period_years": "Return period (years)",
        "exceedance_probability_per_year": "Exceedance probability (/yr)",
        "rain_mm": "Rain (mm)", "peak_rain_mm_h": "Peak rain (mm/h)",
        "max_depth_m": "Deepest water (m)", "waterlogging_points": "Waterlogging points",
        "persons_exposed": "Persons exposed",
        "persons_exposed_per_year": "Persons exposed (/yr)",
        "rank": "Rank", "x": "x (m)", "y": "y (m)", "t_closed_s": "Closed at (h:mm:ss)",
        # fire
        "district": "District", "buildings": "Buildings",
        "ignitions_per_year": "Ignitions (/yr)", "ignitions_simulated": "Ignitions simulated",
        "buildings_lost_per_ignition": "Buildings lost per ignition",
        "expected_buildings_lost_per_year": "Buildings lost (/yr)",
        "standard_error_per_year": "Sampling error (buildings/yr)",
    },
    "zh": {
        "site": "场所", "substance": "物质", "loss": "泄漏场景",
        "frequency_per_year": "频率（次/年）",
        "lethal_1pct_distance_m": "1 % 致死距离（米）",
        "lethal_50pct_distance_m": "50 % 致死距离（米）",
        "pll_static_per_year": "潜在生命损失 PLL 静态（人/年）",
        "pll_dynamic_per_year": "潜在生命损失 PLL 动态（人/年）",
        "share_of_total": "占总量比例",
        "places_breaking_criterion": "超出标准的场所",
        "place": "编号", "name": "名称", "kind": "类型", "class": "类别",
        "criterion_per_year": "个人风险标准（/年）",
        "individual_risk_per_year": "个人风险（/年）",
        "main_source": "主要风险源",
        "variant": "情景", "pll": "PLL 静态（人/年，变化）",
        "pll_dynamic": "PLL 动态（人/年，变化）",
        "receptor_ir": "受体点最高个人风险（/年，变化）",
        "max_individual_risk_per_year": "图上最高个人风险（/年）",
        "places_breaking": "超出标准的场所（个数：编号）",
        "fire": "火灾烧毁建筑（栋/年，变化）",
        "return_period_years": "重现期（年）",
        "exceedance_probability_per_year": "超越概率（/年）",
        "rain_mm": "降雨量（毫米）", "peak_rain_mm_h": "峰值雨强（毫米/小时）",
        "max_depth_m": "最大积水深度（米）", "waterlogging_points": "内涝点（个）",
        "persons_exposed": "受淹人数（人）",
        "persons_exposed_per_year": "每年受淹人数（人/年）",
        "rank": "排序", "x": "x（米）", "y": "y（米）", "t_closed_s": "封闭时刻（时:分:秒）",
        "district": "辖区", "buildings": "建筑（栋）",
        "ignitions_per_year": "起火次数（次/年）", "ignitions_simulated": "模拟起火次数",
        "buildings_lost_per_ignition": "每次起火烧毁建筑（栋）",
        "expected_buildings_lost_per_year": "烧毁建筑（栋/年）",
        "standard_error_per_year": "抽样误差（栋/年）",
    },
}
"""Table headings by language and column."""

KINDS: dict[str, str] = {
    "school": "学校", "kindergarten": "幼儿园", "hospital": "医院",
    "elderly_home": "养老院", "market": "市场",
    "sensitive": "高敏感或 100 人以上场所", "30-100 persons": "30-100 人场所",
    "under 30 persons": "30 人以下场所", "underpass": "下穿通道", "road": "道路",
}
"""Chinese names of the place kinds, place classes and waterlogging-point kinds."""

SUBSTANCES: dict[str, str] = {
    "chlorine": "氯气", "ammonia": "氨", "hydrogen_sulfide": "硫化氢",
    "sulfur_dioxide": "二氧化硫", "hydrogen_chloride": "氯化氢", "hydrogen_fluoride": "氟化氢",
}
"""Chinese names of the built-in substances (as the inventory writes them)."""


def kind_name(kind: str, lang: str) -> str:
    """A place's kind or class in ``lang`` (unknown ones as they are)."""
    return KINDS.get(str(kind), str(kind)) if lang == "zh" else str(kind).replace("_", " ")


def substance_name(substance: str, lang: str) -> str:
    """A substance in ``lang`` (unknown ones as they are)."""
    if lang == "zh":
        return SUBSTANCES.get(str(substance), str(substance))
    return str(substance).replace("_", " ")


def sci(value: float) -> str:
    """A rate or risk with two significant digits (``3.2e-06``; ``0``; ``—`` if not finite)."""
    return f"{value:.2g}" if value and math.isfinite(value) else ("0" if value == 0 else "—")


def change(fraction: float) -> str:
    """A relative change as a signed whole percentage (``-35 %``; ``—`` if not finite)."""
    return f"{100.0 * fraction:+.0f} %" if math.isfinite(fraction) else "—"


def read_table(folder: Path, name: str, *, empty_is_nan: bool = False) -> pd.DataFrame | None:
    """The CSV ``folder / name`` (None if absent), its text kept as written.

    Parameters
    ----------
    folder, name
        The results folder and the file's path inside it.
    empty_is_nan
        Read empty cells as NaN (else as empty text).
    """
    path = Path(folder) / name
    if not path.is_file():
        return None
    return pd.read_csv(path, keep_default_na=False, na_values=[""] if empty_is_nan else None)
