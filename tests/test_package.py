"""citysim installs and imports as one package, ``citysim``, from the folder ``sim/``."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ALL_MODULES = """
import importlib, json, pkgutil, sys
import citysim
names = [m.name for m in pkgutil.walk_packages(citysim.__path__, "citysim.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({
    "modules": names,
    "files": {k: getattr(v, "__file__", None) for k, v in sys.modules.items()
              if k == "citysim" or k.startswith("citysim.")},
    "sim": sorted(k for k in sys.modules if k == "sim" or k.startswith("sim.")),
}))
"""


def test_every_subpackage_is_installed():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    on_disk = {".".join(("citysim", *p.parent.relative_to(REPO / "sim").parts))
               for p in (REPO / "sim").rglob("__init__.py")}
    assert listed == on_disk, "[tool.setuptools] packages must list every sim/ package"


def test_imports_as_one_package_named_citysim(tmp_path):
    # from a folder that is not the checkout, as a user would
    proc = subprocess.run([sys.executable, "-c", ALL_MODULES], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    found = json.loads(proc.stdout.splitlines()[-1])
    assert len(found["modules"]) > 50
    assert found["sim"] == [], "nothing may import the folder name `sim` as a package"
    roots = {Path(f).resolve().parent for f in found["files"].values() if f}
    assert all(REPO / "sim" == r or (REPO / "sim") in r.parents for r in roots), roots


def test_a_regular_install_holds_citysim_only(tmp_path):
    # a wheel is what `pip install .` installs: one top-level package, no `sim`
    import shutil
    import zipfile

    # from a copy without build/ (setuptools reuses a stale build/lib of the checkout)
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        "build", ".venv", ".git", "results", "*.egg-info", "__pycache__", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(tmp_path / "dist"), str(src)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("citysim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = wheel.name.split("-py")[0] + ".dist-info"
    assert {n.split("/")[0] for n in names} == {"citysim", dist_info}
    on_disk = {str(p.relative_to(REPO / "sim")) for p in (REPO / "sim").rglob("*.py")}
    assert {n.removeprefix("citysim/") for n in names if n.endswith(".py")} == on_disk
    assert "citysim/py.typed" in names
