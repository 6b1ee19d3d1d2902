"""A run imports what it uses: no plotting, Dask, OSM or GUI stack on the way (issue #17).

Structural guards, not timings: each check runs a fresh interpreter and looks
at ``sys.modules`` after the import or the run, so a module-level import of a
heavy package on the run path fails here whatever the machine's speed.
"""

import json
import subprocess
import sys

from tests.scenarios import write_scenario

NOT_ON_THE_RUN_PATH = (
    "dask", "distributed", "solara", "osmnx", "osmium", "matplotlib", "pyproj", "shapely",
    "SALib", "scipy.stats", "scipy.optimize", "scipy.ndimage", "tornado", "PIL",
)
"""Packages a ``citysim run`` without figures, or a batch run, must not load."""

LOADED = """
import json, sys
{code}
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after(code: str, cwd) -> set[str]:
    """Modules loaded in a fresh interpreter after running ``code``."""
    out = subprocess.run([sys.executable, "-c", LOADED.format(code=code)], cwd=cwd,
                         capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    """The packages of :data:`NOT_ON_THE_RUN_PATH` among ``modules``."""
    return sorted(p for p in NOT_ON_THE_RUN_PATH
                  if p in modules or any(m.startswith(p + ".") for m in modules))


def test_the_command_line_loads_no_science_before_a_verb_runs(tmp_path):
    modules = loaded_after("import citysim.cli", tmp_path)
    assert "citysim.cli" in modules
    assert not {"numpy", "pandas", "numba", "mesa", "scipy"} & modules


def test_a_run_without_figures_loads_no_plotting_dask_or_osm_stack(tmp_path):
    path = write_scenario(tmp_path)
    code = (f"import citysim.app.run as r; res = r.run({str(path)!r}, out={str(tmp_path / 'o')!r})"
            "; assert res.summary['residents_total'] == 5003")
    modules = loaded_after(code, tmp_path)
    assert "citysim.model" in modules and "pyarrow.parquet" in modules  # it did run and write
    assert heavy(modules) == []


def test_a_batch_run_on_a_worker_loads_no_plotting_dask_or_osm_stack(tmp_path):
    # what a worker imports to make one run of a batch (Dask itself is the worker's)
    path = write_scenario(tmp_path)
    code = ("from citysim.experiments.runs import RunSpec, execute_run; "
            f"rec = execute_run(RunSpec('r0', {str(path)!r}, (), 11, 0), {str(tmp_path)!r}); "
            "assert rec['status'] == 'ok', rec")
    assert heavy(loaded_after(code, tmp_path)) == []
