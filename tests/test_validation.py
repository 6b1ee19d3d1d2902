"""The validation report: its checks hold, and it fails loudly when one does not."""

from __future__ import annotations

import sys
import types

import pytest

from benchmarks.validation import __main__ as report
from benchmarks.validation.core import Check


@pytest.mark.slow
def test_the_checked_in_report_is_current_and_every_case_within_tolerance(capsys):
    # what CI runs: every model's reference cases through the real entry points, compared
    # with docs/VALIDATION.md as checked in (figures go to a temporary folder)
    code = report.main(["--check"])
    assert code == 0, capsys.readouterr().err
    text = report.REPORT.read_text(encoding="utf-8")
    assert "MISSING" not in text and "❌" not in text
    for model in ("Residents: walking", "Flood", "Chemical dispersion", "Urban fire", "Response"):
        assert f"## {model}" in text, model


def _fake(monkeypatch, tmp_path, value: float) -> None:
    """Make the report run one fake model module whose single check gives ``value``."""
    module = types.ModuleType("benchmarks.validation.fake")
    module.checks = lambda fig_dir: [Check("Fake", "one case", "x (m)", 1.0, "a book",
                                           value, 0.01, why="rounding")]
    monkeypatch.setitem(sys.modules, "benchmarks.validation.fake", module)
    monkeypatch.setattr(report, "MODULES", ("fake", "no_such_model"))
    monkeypatch.setattr(report, "REPORT", tmp_path / "VALIDATION.md")
    monkeypatch.setattr(report, "FIG_DIR", tmp_path / "img")


def test_a_check_outside_tolerance_fails_the_report(monkeypatch, tmp_path, capsys):
    assert not Check("m", "c", "q", 1.0, "s", 1.02, 0.01).ok
    assert Check("m", "c", "q", 1.0, "s", 1.009, 0.01).ok
    assert not Check("m", "c", "q", 1.0, "s", float("nan"), 0.01).ok
    assert not Check("m", "c", "q", 0.0, "s", 0.5, 0.1, absolute=False).ok
    _fake(monkeypatch, tmp_path, 1.02)
    assert report.main([]) == 1  # written, but a case is outside its tolerance
    err = capsys.readouterr().err
    assert "OUTSIDE TOLERANCE: Fake | one case | x (m)" in err
    assert "MISSING: benchmarks/validation/no_such_model.py" in err
    text = (tmp_path / "VALIDATION.md").read_text(encoding="utf-8")
    assert "❌" in text and "**MISSING: `benchmarks/validation/no_such_model.py`" in text
    assert report.main(["--check"]) == 1


def test_check_mode_fails_when_the_report_is_stale(monkeypatch, tmp_path, capsys):
    _fake(monkeypatch, tmp_path, 1.001)
    monkeypatch.setattr(report, "MODULES", ("fake",))  # a missing module fails on its own
    assert report.main([]) == 0
    path = tmp_path / "VALIDATION.md"
    assert "| x (m) | 1 | 1.001 | +0.10 % | ±1 % | ✅ | rounding |" in path.read_text("utf-8")
    assert report.main(["--check"]) == 0  # the run line (time, commit) is not compared
    path.write_text(path.read_text("utf-8").replace("1.001", "1.002"), encoding="utf-8")
    capsys.readouterr()
    assert report.main(["--check"]) == 1
    assert "is not what this run writes" in capsys.readouterr().err
