"""The README's Python examples run as written.

Every fenced ``python`` block of README.md is executed, in order, in one
namespace, as a reader would paste them: from a fresh working folder in which
the repository's ``scenarios/``, ``experiments/``, ``data/`` and
``calibration/`` are reachable by the README's relative paths (so the runs'
``results/`` land in the temporary folder, not in the repository).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_FOLDERS = ("scenarios", "experiments", "data", "calibration")


def _python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_readme_has_a_short_python_api_section():
    blocks = _python_blocks()
    assert blocks, "README.md has no ```python block"
    assert sum(len(b.strip().splitlines()) for b in blocks) < 20


@pytest.mark.slow
def test_the_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    for name in SHARED_FOLDERS:
        (tmp_path / name).symlink_to(REPO / name, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    for i, block in enumerate(_python_blocks()):
        exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert printed.strip(), "the examples print what they show"

    # what the examples claim to show
    p90 = namespace["result"].summary["response_time_p90_s"]
    assert isinstance(p90, float) and math.isfinite(p90) and p90 > 0
    assert {"incident", "t_call_s", "response_time_s"} <= set(namespace["result"].incidents.columns)
    model = namespace["model"]
    assert not model.running and model.t_s == pytest.approx(model.duration_s)
    shelters = model.shelters_frame()
    assert (shelters["peak_occupancy"] <= shelters["capacity"]).all()
    assert shelters["peak_occupancy"].sum() > 0  # the drill filled shelters
    indices = namespace["sweep"].indices
    assert set(indices["parameter"]) == {"response.background_calls.rate_per_h",
                                         "response.service_time.median"}
    assert indices["mu_star"].notna().all()
    assert (tmp_path / "results" / "call-load-sweep" / "indices.csv").is_file()
