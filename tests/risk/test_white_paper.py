"""The risk white paper: opens in headless Chromium with every figure, in English and Chinese."""

from __future__ import annotations

import pytest

from citysim.app.risk import run_risk
from citysim.cli import main
from tests.report.browser import open_page
from tests.risk.test_qra import _source, _write


@pytest.fixture(scope="module")
def risk_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wp")
    path = _write(folder, "belt", [_source("A", 0.0), _source("B", 250.0)],
                  [{"id": "R1", "location": {"x": 400.0, "y": 0.0}}], sectors=12)
    return run_risk(path).out_dir


@pytest.mark.parametrize(("lang", "words"), [("en", ("Risk inventory", "Relocating")),
                                             ("zh", ("风险清单", "搬迁"))])
def test_white_paper_opens_with_every_figure(risk_folder, tmp_path, capsys, lang, words):
    assert main(["report", str(risk_folder), "--lang", lang]) == 0
    page = risk_folder / f"white_paper_{lang}.html"
    text = page.read_text(encoding="utf-8")
    assert all(w in text for w in words)
    check = open_page(page, tmp_path)
    assert check.loaded and check.images == 2 and check.broken == 0, check
    assert check.errors == "" and not check.console


def test_a_static_assessment_says_static_only(risk_folder):
    from citysim.report.white_paper import white_paper_html

    text = white_paper_html(risk_folder, "en")
    assert "Mode: static only" in text and "static mode," in text
    assert "dynamic" not in text.split('<section id="method">', 1)[1]
    assert "评价模式：仅静态" in white_paper_html(risk_folder, "zh")


def test_the_recommendation_is_the_plant_with_the_largest_share(risk_folder):
    import pandas as pd

    from citysim.report.white_paper import white_paper_html

    inventory = pd.read_csv(risk_folder / "risk_inventory.csv")
    by_source = inventory.groupby("source")["pll_static_per_year"].sum()
    top = by_source.idxmax()
    text = white_paper_html(risk_folder, "en")
    first = text.split("<ol><li>", 1)[1].split("</li>", 1)[0]
    assert f"({top})" in first
    share = by_source[top] / by_source.sum()
    assert f"{100 * share:.1f} %" in first


def test_the_white_paper_prints_to_a_pdf(risk_folder, capsys):
    import re

    assert main(["report", str(risk_folder), "--lang", "zh", "--pdf"]) == 0
    assert "white_paper_zh.pdf" in capsys.readouterr().out
    data = (risk_folder / "white_paper_zh.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # the page tree: the headline, two figures and the tables take more than one A4 page
    pages = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)
             + re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    assert pages and max(pages) >= 2
    assert len(re.findall(rb"/Subtype\s*/Image", data)) >= 2  # both figures are in it
    assert not list(risk_folder.glob(".white_paper_zh*"))  # no leftovers of the print


def test_without_chromium_the_pdf_is_refused_in_one_line(risk_folder, tmp_path, monkeypatch,
                                                         capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on it
    assert main(["report", str(risk_folder), "--pdf", "--out",
                 str(tmp_path / "paper.html")]) == 2
    err = capsys.readouterr().err
    assert "--pdf" in err and "Chromium" in err and "Traceback" not in err
    assert (tmp_path / "paper.html").is_file() and not (tmp_path / "paper.pdf").exists()
