"""The documentation: the site builds, every relative link lands, every key in the reference exists.

The site is built with ``mkdocs build --strict`` (mkdocs.yml: broken links and
anchors, pages left out of the nav and absolute links are errors), offline,
into a temporary folder. Links are checked here as well, for README.md too
(which is not part of the site), against both anchor schemes a reader meets:
GitHub's and Python-Markdown's (the site's).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md"))
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")


def _prose_lines(text: str) -> list[str]:
    """Lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _links(path: Path) -> list[str]:
    found = []
    for line in _prose_lines(path.read_text(encoding="utf-8")):
        found += LINK.findall(INLINE_CODE.sub("", line))
    return found


def _heading_text(line: str) -> str:
    text = line.lstrip("#").strip()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link shows its text
    return text.replace("`", "")


def _github_slug(text: str) -> str:
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _site_slug(text: str) -> str:
    from markdown.extensions.toc import slugify

    return slugify(text, "-")


def _anchors(path: Path, slug: typing.Callable[[str], str]) -> set[str]:
    return {slug(_heading_text(line)) for line in _prose_lines(path.read_text(encoding="utf-8"))
            if re.match(r"#{1,6} ", line)}


def test_the_site_builds_strict_and_offline(tmp_path):
    site = tmp_path / "site"
    dead_end = "http://127.0.0.1:9"  # the discard port: any download through a proxy fails
    env = {**os.environ, "HTTP_PROXY": dead_end, "HTTPS_PROXY": dead_end, "NO_PROXY": "",
           "http_proxy": dead_end, "https_proxy": dead_end, "no_proxy": ""}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "--config-file", str(REPO / "mkdocs.yml"), "--site-dir", str(site)],
        capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    for page in PAGES:  # every page is in the site (strict: none left out of the nav)
        built = site / ("index.html" if page.stem == "index" else f"{page.stem}/index.html")
        assert built.is_file(), f"{page.name} was not built"
    assert (site / "img" / "city_map.png").is_file()


@pytest.mark.parametrize("page", [REPO / "README.md", *PAGES], ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    checked = 0
    for target in _links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        assert dest.exists(), f"{page.name}: link {target!r}: no such file {dest}"
        if anchor:
            assert dest.suffix == ".md", f"{page.name}: link {target!r}: anchor into a non-page"
            for scheme in (_github_slug, _site_slug):
                assert anchor in _anchors(dest, scheme), (
                    f"{page.name}: link {target!r}: no heading {anchor!r} in {dest.name} "
                    f"({scheme.__name__})")
        checked += 1
    if page.name in ("README.md", "index.md"):
        assert checked >= 10  # the two front pages link to every page


def test_the_readme_shows_the_city_map_and_its_two_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "![city map](docs/img/city_map.png)" in text
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    assert blocks[:2] == ["pip install -e . && citysim run scenarios/normal-day.yaml\n",
                          "./scripts/test\n"]


# --- the reference: every key it names exists in the schema ------------------------------------


def _models(annotation: typing.Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation may hold (through Annotated, unions, tuples)."""
    if typing.get_origin(annotation) is Annotated:
        return _models(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _with_osm_forms(models: list[type[BaseModel]]) -> list[type[BaseModel]]:
    """A site list item may also be an ``{osm: ...}`` selection."""
    from citysim.scenario.sites import OsmShelters, OsmStations, Site

    extra = [OsmShelters if "area_m2" in m.model_fields else OsmStations
             for m in models if issubclass(m, Site)]
    return models + extra


def _resolves(root: type[BaseModel], path: str) -> bool:
    models = [root]
    parts = [p.removesuffix("[i]") for p in path.split(".")]
    for depth, part in enumerate(parts):
        fields = [f for m in _with_osm_forms(models) for name, f in m.model_fields.items()
                  if part in (name, f.alias)]  # a key such as `class` is a field's alias
        if not fields:
            return False
        models = [m for f in fields for m in _models(f.annotation)]
        if depth < len(parts) - 1 and not models:
            return False
    return True


def _reference_keys() -> list[tuple[str, str, str]]:
    """``(heading context, root kind, path)`` for each key in the first column of a table."""
    keys, h2, h3 = [], "", ""
    for line in _prose_lines((DOCS / "reference.md").read_text(encoding="utf-8")):
        if line.startswith("## "):
            h2, h3 = line[3:], ""
        elif line.startswith("### "):
            h3 = line[4:]
        elif line.startswith("| `"):
            first = line.split("|")[1]
            for token in re.findall(r"`([^`]+)`", first):
                if re.fullmatch(r"[a-z_0-9]+(\[i\])?(\.[a-z_0-9]+(\[i\])?)*", token):
                    keys.append((h2, h3, token))
    return keys


def _root(h2: str, h3: str, path: str) -> tuple[type[BaseModel], str]:
    from citysim.experiments.risk_spec import RiskExperiment
    from citysim.experiments.spec import (
        BatchExperiment,
        CalibrateExperiment,
        Experiment,
        SweepExperiment,
    )
    from citysim.hazards.registry import hazard_config
    from citysim.scenario.schema import Scenario

    hazard = re.search(r"`type: (\w+)`", h2)
    if hazard:
        assert path.startswith("hazards[i]."), path
        return hazard_config(hazard.group(1)), path.removeprefix("hazards[i].")
    if h2 == "Experiment files":
        kind = re.search(r"`kind: (\w+)`", h3)
        kinds = {"batch": BatchExperiment, "sweep": SweepExperiment,
                 "calibrate": CalibrateExperiment, "risk": RiskExperiment}
        return (kinds[kind.group(1)] if kind else Experiment), path
    return Scenario, path


def test_every_key_of_the_reference_exists_in_the_schema():
    import citysim.hazards  # noqa: F401  (registers the built-in hazards)

    keys = _reference_keys()
    assert len(keys) >= 60  # the tables were read
    missing = [f"{path} ({h2}{' / ' + h3 if h3 else ''})" for h2, h3, path in keys
               if not _resolves(*_root(h2, h3, path))]
    assert not missing, f"docs/reference.md names keys the schema does not have: {missing}"


def test_the_key_check_refuses_a_key_that_does_not_exist():
    from citysim.scenario.schema import Scenario

    assert _resolves(Scenario, "shelters[i].m2_per_person")
    assert _resolves(Scenario, "shelters[i].point_area_m2")  # an {osm: ...} item
    assert not _resolves(Scenario, "shelters[i].m2_per_persons")
    assert not _resolves(Scenario, "city.max_snap_m.metres")  # a leaf has no keys below


# --- the code the docs name exists ------------------------------------------------------------

FRONT_DOOR = {"run", "run_batch", "run_sweep", "load_scenario", "CityModel"}
"""``citysim.<name>`` of the front door, run by tests/test_readme.py."""


def _resolves_in_code(dotted: str) -> bool:
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):  # the longest importable module, then attributes
        try:
            value = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for name in parts[i:]:
            if not hasattr(value, name):
                return False
            value = getattr(value, name)
        return True
    return False


def test_every_citysim_name_in_the_docs_exists():
    names = set()
    for page in (REPO / "README.md", *PAGES):
        names |= set(re.findall(r"`(citysim(?:\.[A-Za-z_]\w*)+)", page.read_text(encoding="utf-8")))
    assert len(names) >= 15
    missing = sorted(n for n in names
                     if n.split(".")[1] not in FRONT_DOOR and not _resolves_in_code(n))
    assert not missing, f"the docs name code that does not exist: {missing}"


REPO_FOLDERS = ("sim", "tests", "benchmarks", "calibration", "data", "scenarios", "experiments",
                "docs")


def test_every_repository_path_in_the_docs_exists():
    paths = set()
    for page in (REPO / "README.md", *PAGES):
        for line in _prose_lines(page.read_text(encoding="utf-8")):
            for token in re.findall(r"`([^`\s]+)`", line):
                top = token.split("/")[0]
                if "/" in token and top in REPO_FOLDERS and not re.search(r"[*<{]", token):
                    paths.add(token.split(":")[0])
    assert len(paths) >= 30
    missing = sorted(p for p in paths if not (REPO / p).exists())
    assert not missing, f"the docs name files that do not exist: {missing}"
