"""Figures are drawn without pyplot's global state, and nothing switches the user's backend.

A notebook user keeps the backend they chose: no module calls
``matplotlib.use``, and a whole run with figures, an animation and a report
never imports :mod:`matplotlib.pyplot` (every figure is a
:class:`matplotlib.figure.Figure` of its own).
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import citysim

ROOT = Path(citysim.__file__).resolve().parent.parent
"""The repository: ``sim/`` (imported as citysim), ``tests/``, ``benchmarks/``, ``calibration/``."""


def calls_matplotlib_use(tree: ast.AST) -> list[int]:
    """Lines of ``matplotlib.use(...)`` calls and of ``from matplotlib import use``."""
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "use" and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("matplotlib", "mpl")):
            lines.append(node.lineno)
        elif (isinstance(node, ast.ImportFrom) and node.module == "matplotlib"
              and any(a.name == "use" for a in node.names)):
            lines.append(node.lineno)
    return lines


def test_the_check_finds_a_call():
    assert calls_matplotlib_use(ast.parse('import matplotlib\nmatplotlib.use("Agg")\n')) == [2]
    assert calls_matplotlib_use(ast.parse("from matplotlib import use\n")) == [1]
    assert calls_matplotlib_use(ast.parse("import matplotlib\nmatplotlib.colormaps\n")) == []


def test_no_source_file_calls_matplotlib_use():
    files = [p for folder in ("sim", "tests", "benchmarks", "calibration")
             for p in (ROOT / folder).rglob("*.py")]
    assert len(files) > 50
    found = {str(p.relative_to(ROOT)): lines for p in files
             if (lines := calls_matplotlib_use(ast.parse(p.read_text(encoding="utf-8"))))}
    assert found == {}


def test_a_run_with_figures_animation_and_report_never_imports_pyplot(tmp_path):
    code = f"""
import sys
from pathlib import Path
import yaml
from citysim.hazards.closure import EXAMPLE
from citysim.report.html import write_report
from citysim.app.run import run
from citysim.scenario import load_scenario_text
from tests.scenarios import SMALL_CITY

text = SMALL_CITY.replace("plots: false", "plots: true\\n  animation: true\\n  geojson: true")
text += yaml.safe_dump({{"hazards": [EXAMPLE]}})
out_dir = Path({str(tmp_path)!r}) / "out"
run(load_scenario_text(text, base_dir=out_dir.parent,
                       overrides=["city.origin={{lon: 113.65, lat: 34.75}}"]), out=out_dir)
write_report(out_dir)
print(sorted(m for m in sys.modules if m.startswith("matplotlib.pyplot")))
"""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the user's default
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
    out = tmp_path / "out"
    assert (out / "plots" / "city_map.png").stat().st_size > 10_000
    assert (out / "animation.gif").stat().st_size > 10_000
    assert (out / "gis" / "road_closures.geojson").is_file()
