"""The risk white paper (风险白皮书): one self-contained HTML page of a ``citysim risk`` folder.

In Chinese or English (``lang``): the headline numbers, the risk map and
the F-N curve against the criteria, the ranked risk inventory, the places
that break their criterion, and recommendations computed from the tables,
not written by hand:

- **relocation**: the static risk of the city is the sum of its sources'
  (a test checks it), so moving a plant out of reach lowers PLL by exactly
  that plant's share; the plants are ranked by it;
- **places**: every place breaking its criterion, with the source that
  contributes most to its individual risk and the factor by which that risk
  must fall;
- **societal risk**: where the F-N curve lies above the Netherlands guide;
- **warning and response** (dynamic mode): how far the city's warnings,
  sheltering, evacuation and response move PLL from the static value;
- **flood and fire** (when the risk file has them): the storm and the
  waterlogging point that matter most, the fire district that loses most
  (:mod:`citysim.report.white_paper_hazards`, which also adds their sections);
- **what-ifs** (``variants:``, :mod:`citysim.report.risk_whatifs`): the
  variant that lowers PLL most, with the maps before and after and the F-N
  curves overlaid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from citysim.errors import Problem, ScenarioError
from citysim.experiments.risk_spec import Presence
from citysim.humanize import number, percent
from citysim.io.atomic import write_atomic
from citysim.report.html import _e, _figure, _page, _section, _table
from citysim.report.risk_columns import HEADERS, change, kind_name, sci, substance_name
from citysim.report.risk_whatifs import what_if_advice, what_if_section
from citysim.report.white_paper_hazards import (
    HAZARD_KINDS,
    hazard_advice,
    hazard_headline,
    hazard_sections,
)

__all__ = ["LANGUAGES", "is_risk_folder", "white_paper_html", "write_white_paper"]

LANGUAGES = ("en", "zh")
"""Languages of the white paper."""
NL_GUIDE = 1e-3
"""Netherlands societal-risk guide ``F = 1e-3 / N^2`` (per year), from N = 10 (MODELS.md)."""
TOP_SOURCES = 3
"""Plants named in the relocation recommendation."""

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "City safety risk white paper: {name}",
        "lead": "A quantitative risk assessment (Purple Book / GB 36894-2018), {mode}, of "
                "{sources} hazardous-chemical sites, {losses} loss-of-containment scenarios, "
                "{events} events.",
        "mode_static": "static mode",
        "mode_both": "static and dynamic modes",
        "headline": "Headline",
        "indicator": "Indicator", "value": "Value",
        "pll": "Potential loss of life, PLL (expected deaths/yr)",
        "max_ir": "Highest individual risk (/yr)",
        "area6": "Area with individual risk ≥ 1e-6 per year (km²)",
        "residents6": "Residents living where individual risk ≥ 1e-6 per year (persons)",
        "places_bad": "Sensitive or crowded places breaking their criterion (places)",
        "nl": "Societal risk within the Netherlands guide (F ≤ 1e-3/N², N ≥ 10)",
        "yes": "yes", "no": "no",
        "map": "Risk map",
        "map_caption": "Individual (location-based) risk per year: contours 1e-8 to 1e-4; "
                       "red squares break their criterion.",
        "fn": "Societal risk",
        "fn_caption": "F-N curve: frequency of events killing N or more, against the "
                      "Netherlands guide.",
        "inventory": "Risk inventory",
        "inventory_note": "One row per site and loss-of-containment scenario, ranked by PLL.",
        "places": "Places breaking a criterion",
        "no_places": "No place breaks its individual-risk criterion.",
        "advice": "Recommendations",
        "relocate": "Relocating {name} ({id}) out of reach of the city lowers PLL from {before} "
                    "to {after} deaths per year ({share} of the city's total).",
        "place": "{name} ({kind}): individual risk {ir} per year, criterion {crit} per year; "
                 "{source} contributes {share}: its risk there must fall {factor}-fold.",
        "nl_ok": "The F-N curve stays within the Netherlands guide.",
        "pll_dyn": "PLL with the city's warning and response (expected deaths/yr; dynamic, "
                   "{k} events simulated)",
        "dynamic": "With the city's warnings, sheltering, evacuation and response simulated for "
                   "the {k} events that dominate risk, PLL is {dyn} deaths per year instead of "
                   "{stat} ({change}).",
        "nl_bad": "The F-N curve exceeds the Netherlands guide for N from {lo} to {hi} deaths, "
                  "by up to {ratio}-fold: the events with many deaths must become rarer.",
        "method": "Method",
        "method_text": "Every loss of containment in every weather class is a footprint of "
                       "citysim's dispersion model (plume or puff, dense-gas phase); lethality "
                       "is the substance's probit of the toxic load, outdoors and unprotected. "
                       "Individual risk (location-based) sums frequency × weather × wind "
                       "direction × lethality. Societal risk: residents are at home, indoors "
                       "{day} by day and {night} at night, where lethality is {factor} × the "
                       "outdoor one.",
        "method_static": "Mode: static only. Warning, sheltering and evacuation are not "
                         "counted.",
        "method_dynamic": "Mode: static and dynamic. Of the events, the {k} with the largest "
                          "static frequency × deaths were also simulated as full citysim runs "
                          "({r} run(s) each): residents warned by the leak, sheltering in "
                          "place or evacuating, breathing the air of their homes, and the "
                          "responders. Their dynamic deaths are the runs' mean; every other "
                          "event keeps its static deaths. Individual risk is the static one "
                          "in both modes.",
    },
    "zh": {
        "title": "城市安全风险白皮书：{name}",
        "lead": "对 {sources} 处危险化学品场所、{losses} 个泄漏场景、"
                "{events} 个事件的定量风险评价（{mode}；"
                "紫皮书 / GB 36894-2018）。",
        "mode_static": "静态模式",
        "mode_both": "静态与动态模式",
        "headline": "主要结论",
        "indicator": "指标", "value": "数值",
        "pll": "潜在生命损失 PLL（人/年）",
        "max_ir": "最高个人风险（/年）",
        "area6": "个人风险 ≥ 1e-6/年 的面积（平方公里）",
        "residents6": "居住在个人风险 ≥ 1e-6/年 区域内的居民（人）",
        "places_bad": "超出个人风险标准的敏感或人员密集场所（处）",
        "nl": "社会风险是否满足荷兰社会风险标准（F ≤ 1e-3/N²，N ≥ 10）",
        "yes": "是", "no": "否",
        "map": "安全风险空间分布图",
        "map_caption": "个人风险（/年）：等值线 1e-8 至 1e-4；红色方块为超出标准的场所。",
        "fn": "社会风险",
        "fn_caption": "F-N 曲线：造成 N 人及以上死亡的事件的频率（/年），"
                      "与荷兰社会风险标准线比较。",
        "inventory": "风险清单",
        "inventory_note": "每个场所、每个泄漏场景一行，按 PLL 排序。",
        "places": "超出标准的场所",
        "no_places": "没有场所超出个人风险标准。",
        "advice": "建议",
        "relocate": "将 {name}（{id}）搬迁至城市影响范围之外，PLL 由每年 {before} 人降至 "
                    "{after} 人（占全市的 {share}）。",
        "place": "{name}（{kind}）：个人风险为 {ir}/年，标准为 {crit}/年；{source} 贡献 {share}，"
                 "其在该处的风险需降至现值的 1/{factor}。",
        "nl_ok": "F-N 曲线满足荷兰社会风险标准。",
        "pll_dyn": "计入城市预警与应急响应后的 PLL（人/年；动态，模拟 {k} 个事件）",
        "dynamic": "对风险最大的 {k} 个事件模拟城市的预警、就地避难、疏散与应急响应后，"
                   "PLL 为每年 {dyn} 人，静态评价为每年 {stat} 人（{change}）。",
        "nl_bad": "F-N 曲线在 N 为 {lo} 至 {hi} 人时超出荷兰社会风险标准，"
                  "最高为标准值的 {ratio} 倍：需降低群死群伤事件的频率。",
        "method": "方法",
        "method_text": "每个泄漏场景在每类天气下的影响范围由 citysim 的扩散模型计算"
                       "（烟羽或烟团，重气阶段）；致死概率由物质的概率函数（probit）"
                       "按室外无防护的毒性负荷计算。个人风险（基于位置）为频率 × 天气 × "
                       "风向 × 致死概率之和。社会风险：居民在家，白天 {day}、夜间 {night} "
                       "在室内，室内致死概率为室外的 {factor} 倍。",
        "method_static": "评价模式：仅静态。未计入预警、就地避难和疏散。",
        "method_dynamic": "评价模式：静态与动态。静态频率 × 死亡人数最大的 {k} 个事件另以完整的 "
                          "citysim 模拟运行（每个事件 {r} 次）：居民收到泄漏预警后就地避难或疏散、"
                          "吸入室内空气，应急力量出动。这些事件的动态死亡人数取各次模拟的平均值；"
                          "其余事件保持静态死亡人数。两种模式的个人风险均为静态结果。",
    },
}
"""The white paper's words by language."""


def is_risk_folder(folder: Path) -> bool:
    """Whether ``folder`` holds the results of ``citysim risk``."""
    return (Path(folder) / "risk_summary.json").is_file()


def _advice(t: dict[str, str], lang: str, inventory: pd.DataFrame, places: pd.DataFrame,
            fn: pd.DataFrame, names: dict[str, str], summary: dict[str, Any],
            what_ifs: list[str], more: list[str]) -> str:
    items = []
    pll = float(inventory["pll_static_per_year"].sum())
    by_source = inventory.groupby("source", sort=False)["pll_static_per_year"].sum()
    for sid, value in by_source.sort_values(ascending=False).head(TOP_SOURCES).items():
        if value <= 0:
            continue
        items.append(t["relocate"].format(name=names.get(str(sid), sid), id=sid,
                                          before=sci(pll), after=sci(pll - value),
                                          share=percent(value / pll if pll else 0.0)))
    for row in places[places["breaks_criterion"]].itertuples():
        items.append(t["place"].format(
            name=row.name, kind=kind_name(row.kind, lang), ir=sci(row.individual_risk_per_year),
            crit=sci(row.criterion_per_year),
            source=names.get(str(row.main_source), row.main_source),
            share=percent(row.main_source_share),
            factor=f"{row.individual_risk_per_year / row.criterion_per_year:.1f}"))
    items += what_ifs
    if "pll_dynamic_per_year" in summary:
        dyn = float(summary["pll_dynamic_per_year"])
        items.append(t["dynamic"].format(k=summary.get("events_simulated", 0), dyn=sci(dyn),
                                         stat=sci(pll),
                                         change=change((dyn - pll) / pll) if pll else "—"))
    curve = fn[(fn["n"] >= 10.0) & (fn["mode"] == "static")] if "mode" in fn else fn[
        fn["n"] >= 10.0]
    ratio = curve["frequency_per_year"] * curve["n"] ** 2 / NL_GUIDE
    if len(curve) and (ratio > 1).any():
        over = curve[ratio > 1]
        items.append(t["nl_bad"].format(lo=number(over["n"].min()), hi=number(over["n"].max()),
                                        ratio=f"{ratio.max():.1f}"))
    else:
        items.append(t["nl_ok"])
    items += more
    return "<ol>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ol>"


def _dynamic_ran(summary: dict[str, Any]) -> bool:
    """Whether the folder holds dynamic results (``mode: dynamic`` or ``both``)."""
    return "pll_dynamic_per_year" in summary


def _method(t: dict[str, str], summary: dict[str, Any]) -> str:
    """The method paragraph: the presence used and the mode(s) actually run."""
    presence = {**Presence().model_dump(), **summary.get("presence", {})}
    text = t["method_text"].format(day=f"{100.0 * presence['indoors_day']:.0f} %",
                                   night=f"{100.0 * presence['indoors_night']:.0f} %",
                                   factor=f"{presence['indoor_lethality_factor']:g}")
    mode = (t["method_dynamic"].format(k=summary.get("events_simulated", 0),
                                       r=summary.get("replications_per_event", 1))
            if _dynamic_ran(summary) else t["method_static"])
    return f"<p>{_e(text)}</p><p>{_e(mode)}</p>"


def white_paper_html(folder: Path, lang: str = "en") -> str:
    """The white paper of a risk folder, in ``lang`` (``en`` or ``zh``)."""
    folder = Path(folder)
    if lang not in LANGUAGES:
        raise ScenarioError([Problem("--lang", f"expected one of {', '.join(LANGUAGES)}, "
                                               f"got {lang!r}")])
    t = TEXT[lang]
    summary: dict[str, Any] = json.loads((folder / "risk_summary.json").read_text())
    inventory = pd.read_csv(folder / "risk_inventory.csv", keep_default_na=False)
    inventory = inventory[~inventory["kind"].isin(HAZARD_KINDS)]  # flood, fire: their sections
    places = pd.read_csv(folder / "places.csv", keep_default_na=False)
    fn = pd.read_csv(folder / "fn_curve.csv")
    names = dict(zip(inventory["source"].astype(str), inventory["name"].astype(str),
                     strict=True))
    rows = [(t["pll"], sci(summary["pll_per_year"])),
            (t["max_ir"], sci(summary["max_individual_risk_per_year"])),
            (t["area6"], number(summary["area_ir_above_1e-6_km2"])),
            (t["residents6"], number(summary["residents_ir_above_1e-6"])),
            (t["places_bad"], number(summary["places_breaking_criterion"])),
            (t["nl"], t["yes"] if summary["societal_nl_guide_met"] else t["no"])]
    if "pll_dynamic_per_year" in summary:
        rows.insert(1, (t["pll_dyn"].format(k=summary.get("events_simulated", 0)),
                        sci(summary["pll_dynamic_per_year"])))
    rows += hazard_headline(folder, summary, lang)
    head = _table(pd.DataFrame(rows, columns=[t["indicator"], t["value"]]))
    places = places.assign(breaks_criterion=places["breaks_criterion"].astype(str) == "True")
    bad = places[places["breaks_criterion"]]
    shown = inventory.assign(
        site=inventory["source"].astype(str) + " " + inventory["name"].astype(str),
        substance=inventory["substance"].map(lambda x: substance_name(x, lang)),
        share_of_total=inventory["share_of_total"].astype(float).map(percent),
        places_breaking_criterion=inventory["places_breaking_criterion"].astype(str)
        .str.replace(";", ", "),
        **{c: inventory[c].map(sci) for c in (
            "frequency_per_year", "pll_static_per_year", "pll_dynamic_per_year")
           if c in inventory})
    bad_shown = bad.assign(kind=bad["kind"].map(lambda x: kind_name(x, lang)),
                           **{"class": bad["class"].map(lambda x: kind_name(x, lang))},
                           main_source=bad["main_source"].map(
                               lambda x: f"{x} {names.get(str(x), '')}".strip()),
                           **{c: bad[c].map(sci) for c in ("criterion_per_year",
                                                            "individual_risk_per_year")})
    headers = HEADERS[lang]
    sections = [
        _section("headline", t["headline"], head),
        _section("advice", t["advice"], _advice(t, lang, inventory, places, fn, names, summary,
                                                   what_if_advice(folder, lang),
                                                   hazard_advice(folder, lang))),
        _section("map", t["map"], _figure((folder / "individual_risk.png").read_bytes(),
                                          t["map_caption"], name="individual_risk.png")),
        _section("fn", t["fn"], _figure((folder / "fn_curve.png").read_bytes(),
                                        t["fn_caption"], name="fn_curve.png")),
        _section("inventory", t["inventory"], _table(shown, columns=[
            "site", "substance", "loss", "frequency_per_year", "lethal_1pct_distance_m",
            "lethal_50pct_distance_m", "pll_static_per_year", "pll_dynamic_per_year",
            "share_of_total", "places_breaking_criterion"], headers=headers,
            note=" " + t["inventory_note"])),
        _section("places", t["places"], _table(bad_shown, columns=[
            "place", "name", "kind", "class", "criterion_per_year", "individual_risk_per_year",
            "main_source"], headers=headers) if len(bad) else f"<p>{_e(t['no_places'])}</p>"),
        *hazard_sections(folder, lang),
        what_if_section(folder, lang),
        _section("method", t["method"], _method(t, summary)),
    ]
    n_sources = inventory["source"].nunique()
    lead = t["lead"].format(mode=t["mode_both" if _dynamic_ran(summary) else "mode_static"],
                            sources=n_sources, losses=len(inventory),
                            events=number(summary["events"]))
    return _page(t["title"].format(name=folder.name), [lead], sections)


def write_white_paper(folder: Path, out: Path | None = None, lang: str = "en") -> Path:
    """Write the white paper (default ``<folder>/white_paper_<lang>.html``) and return its path."""
    page = white_paper_html(folder, lang)
    target = Path(out) if out is not None else Path(folder) / f"white_paper_{lang}.html"
    return write_atomic(target, lambda p: p.write_text(page, encoding="utf-8"))
