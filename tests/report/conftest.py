"""One storm run shared by the report tests (its folder has every kind of output)."""

import pytest

from citysim.app.run import run
from citysim.scenario import load_scenario
from tests.report.storm_city import write_storm


@pytest.fixture(scope="session")
def storm(tmp_path_factory):
    """The storm scenario run into a folder with plots, animation, GIS layers and a timeline."""
    from citysim.drill.msel import write_timeline

    root = tmp_path_factory.mktemp("storm")
    scenario = load_scenario(write_storm(root))
    out = run(scenario, out=root / "out")
    write_timeline(root / "out")
    return out, root / "out"
