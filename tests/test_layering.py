"""The layering rules of ARCHITECTURE.md, checked on the source of every module under sim/.

Every ``import`` and ``from ... import`` is read with :mod:`ast`, at module level
and inside functions (a deferred import is still a dependency), ``TYPE_CHECKING``
blocks included, relative imports resolved. Each module has a layer
(:data:`LAYERS`, bottom to top) and may import only from its own layer or lower
ones. Besides:

- no cycles between top-level parts (``citysim.hazards``, ``citysim.simulation`` ...);
- hazards never import agents or the model; agents use hazards only through
  ``citysim.hazards.base``;
- kernels (``_*kernels.py``, ``heap.py``) import only numpy, numba (and its
  llvmlite, for intrinsics), math and other kernels;
- nothing in hazards/ or model.py imports plots or matplotlib;
- nothing below app/ imports app or cli (the layer rule, named apart);
- nothing calls ``matplotlib.use(...)``: the backend is the user's choice.

:func:`check_module` checks one module from its name and source text, so the
rules themselves are tested on deliberately wrong modules; :func:`check_cycles`
checks the import graph of a whole tree.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = "citysim"
SOURCE_DIR = Path(__file__).resolve().parents[1] / "sim"

#: Layer of each part of the package, bottom (0) to top; a module takes the
#: layer of the longest entry its dotted name starts with.
LAYERS: dict[str, int] = {
    # 0: the base, importing nothing of citysim above it
    "citysim.errors": 0,
    "citysim.rng": 0,
    "citysim.heap": 0,
    "citysim.projection": 0,
    "citysim.humanize": 0,
    # 1: the YAML contract (incl. the hazard schemas and the readers of the data files
    # the load step needs: OSM facilities, population points, GeoTIFF/SRTM grids)
    "citysim.scenario": 1,
    # 2: the city as arrays, and paths through it
    "citysim.world": 2,
    "citysim.routing": 2,
    # 3: what happens in the city
    "citysim.hazards": 3,
    "citysim.agents": 3,
    # 4: the step loop
    "citysim.model": 4,
    "citysim.tables": 4,
    # 5: everything built on runs of the model
    "citysim.metrics": 5,
    "citysim.simulation": 5,
    "citysim.results": 5,
    "citysim.analysis": 5,
    "citysim.placement": 5,
    "citysim.experiments": 5,
    "citysim.report": 5,
    "citysim.plots": 5,
    "citysim.io": 5,
    "citysim.drill": 5,
    "citysim.calibration": 5,
    "citysim.view": 5,
    "citysim.risk": 5,
    # 6: the verbs' orchestration, the only layer that writes files
    "citysim.app": 6,
    # 7: the command line and the Python front door
    "citysim.cli": 7,
    "citysim": 7,
}
APP_LAYER = LAYERS["citysim.app"]
KERNEL_NAME = re.compile(r"_\w*kernels")
KERNEL_MAY_IMPORT = frozenset({"__future__", "math", "numpy", "numba", "llvmlite"})
"""Top-level packages a kernel may import besides other kernels (llvmlite: numba's
own code generator, for intrinsics)."""

def layer_of(module: str) -> int | None:
    """Layer of a citysim module (longest matching entry of :data:`LAYERS`), or ``None``."""
    parts = module.split(".")
    for k in range(len(parts), 1, -1):  # the package itself only by its own name
        layer = LAYERS.get(".".join(parts[:k]))
        if layer is not None:
            return layer
    return LAYERS.get(module)


def part_of(module: str) -> str:
    """Top-level part of a citysim module: ``citysim.hazards.flood`` -> ``citysim.hazards``."""
    return ".".join(module.split(".")[:2])


def is_kernel(module: str) -> bool:
    """Whether a citysim module is a kernel module (``_*kernels`` or ``citysim.heap``)."""
    parts = module.split(".")
    return parts[:2] == [PACKAGE, "heap"] or any(KERNEL_NAME.fullmatch(p) for p in parts)


def imports_of(module: str, source: str, *, is_package: bool = False) -> list[tuple[str, str]]:
    """Every import in ``module``'s source, anywhere in it, relative imports resolved.

    Returns
    -------
    list of (str, str)
        ``(target, shown)``: ``from a.b import c`` gives target ``a.b.c`` (``c``
        may be a submodule; a name inside ``a.b`` lies in the same layer and
        part as ``a.b``) shown as ``a.b`` (as ``a.c`` from the package root).
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                target = origin if alias.name == "*" else f"{origin}.{alias.name}"
                found.append((target, target if origin == PACKAGE else origin))
    return found


def _calls_matplotlib_use(source: str) -> bool:
    tree = ast.parse(source)
    modules, functions = set(), set()  # names bound to matplotlib, and to matplotlib.use
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "matplotlib"}
        elif isinstance(node, ast.ImportFrom) and node.module == "matplotlib":
            functions |= {a.asname or a.name for a in node.names if a.name == "use"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "use" and isinstance(f.value, ast.Name):
                if f.value.id in modules:
                    return True
            if isinstance(f, ast.Name) and f.id in functions:
                return True
    return False


def check_module(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """The layering rules one module breaks, one line each (no line numbers: stable keys).

    Parameters
    ----------
    module
        Its dotted name (``citysim.hazards.flood``; a package by its own name).
    source
        Its source text.
    is_package
        Whether it is a package's ``__init__`` (for relative imports).

    Returns
    -------
    list of str
        ``"<module> -> <import>: <rule>"`` for each broken rule; empty when clean.
    """
    own = layer_of(module)
    if own is None:
        return [f"{module}: not in the layer map (add it to LAYERS)"]
    out = []
    for target, name in imports_of(module, source, is_package=is_package):
        top = target.split(".")[0]
        if is_kernel(module) and not (top in KERNEL_MAY_IMPORT
                                      or (top == PACKAGE and is_kernel(target))):
            out.append(f"{module} -> {name}: a kernel imports only numpy/numba/math/kernels")
        if top == "matplotlib" and (module.startswith("citysim.hazards")
                                    or module == "citysim.model"):
            out.append(f"{module} -> {name}: hazards and the model do not draw")
        if top != PACKAGE:
            continue
        layer = layer_of(target)
        if layer is None and target.count(".") == 1:
            layer = LAYERS[PACKAGE]  # a name of the front door (``from citysim import x``)
        if layer is None:
            out.append(f"{module} -> {name}: imports a module outside the layer map")
            continue
        if layer > own:
            rule = ("below app/ nothing imports app or cli" if layer >= APP_LAYER
                    else f"layer {own} imports layer {layer}")
            out.append(f"{module} -> {name}: {rule}")
        if module.startswith("citysim.hazards") and part_of(target) in (
                "citysim.agents", "citysim.model"):
            out.append(f"{module} -> {name}: hazards never import agents or the model")
        if (module.startswith("citysim.agents") and part_of(target) == "citysim.hazards"
                and not target.startswith("citysim.hazards.base")):
            out.append(f"{module} -> {name}: agents use hazards only through hazards.base")
        if part_of(target) == "citysim.plots" and (module.startswith("citysim.hazards")
                                                   or module == "citysim.model"):
            out.append(f"{module} -> {name}: hazards and the model do not draw")
    if _calls_matplotlib_use(source):
        out.append(f"{module}: calls matplotlib.use(), the backend is the user's choice")
    return sorted(set(out))


def check_cycles(imports: Mapping[str, Iterable[str]]) -> list[str]:
    """Cycles between top-level parts, from each module's imported targets (:func:`imports_of`).

    Returns
    -------
    list of str
        One line for each strongly connected group of parts, naming them all
        and, as an example, the shortest cycle through the first.
    """
    graph: dict[str, set[str]] = {}
    for module, targets in imports.items():
        graph.setdefault(part_of(module), set()).update(
            part_of(t) for t in targets if t.split(".")[0] == PACKAGE)
    for part, targets in graph.items():
        targets.discard(part)
    out = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            example = " -> ".join(_shortest_cycle(graph, min(group), group))
            out.append(f"import cycle among {', '.join(sorted(group))} (e.g. {example})")
    return sorted(out)


def _strongly_connected(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm (recursive: the graph has a few dozen parts)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def _shortest_cycle(graph: Mapping[str, set[str]], start: str, group: set[str]) -> list[str]:
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph.get(v, ()) & group):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError("a strongly connected group has a cycle through each member")


def source_tree(root: Path = SOURCE_DIR) -> dict[str, tuple[str, bool]]:
    """``{module name: (source, is_package)}`` for every module of the package."""
    tree = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        tree[".".join([PACKAGE, *parts])] = (path.read_text(encoding="utf-8"), is_package)
    return tree


def check_tree(tree: Mapping[str, tuple[str, bool]]) -> list[str]:
    """Every rule broken anywhere in a tree from :func:`source_tree`."""
    out = []
    for module, (source, is_package) in tree.items():
        out += check_module(module, source, is_package=is_package)
    out += check_cycles({m: [t for t, _ in imports_of(m, s, is_package=p)]
                         for m, (s, p) in tree.items()})
    return sorted(out)


# --- the rules catch what they are for ---------------------------------------------------


@pytest.mark.parametrize(("module", "source", "expected"), [
    ("citysim.hazards.x", "from citysim.model import CityModel\n",
     ["citysim.hazards.x -> citysim.model: hazards never import agents or the model",
      "citysim.hazards.x -> citysim.model: layer 3 imports layer 4"]),
    ("citysim.hazards.x", "def f():\n    from citysim.agents import residents\n",
     ["citysim.hazards.x -> citysim.agents: hazards never import agents or the model"]),
    ("citysim.hazards.x", "from ..agents.states import State\n",
     ["citysim.hazards.x -> citysim.agents.states: hazards never import agents or the "
      "model"]),
    ("citysim.agents.x", "from citysim.hazards.flood import FloodHazard\n",
     ["citysim.agents.x -> citysim.hazards.flood: agents use hazards only through "
      "hazards.base"]),
    ("citysim.scenario.x", "import citysim.world.network\n",
     ["citysim.scenario.x -> citysim.world.network: layer 1 imports layer 2"]),
    ("citysim.world.x", "from . import network\nfrom ..hazards import flood\n",
     ["citysim.world.x -> citysim.hazards: layer 2 imports layer 3"]),
    ("citysim.hazards._x_kernels", "import numpy as np\nfrom scipy import special\n",
     ["citysim.hazards._x_kernels -> scipy: a kernel imports only "
      "numpy/numba/math/kernels"]),
    ("citysim.routing._kernels", "from citysim.routing.paths import Tree\n",
     ["citysim.routing._kernels -> citysim.routing.paths: a kernel imports only "
      "numpy/numba/math/kernels"]),
    ("citysim.model", "import matplotlib.pyplot as plt\n",
     ["citysim.model -> matplotlib.pyplot: hazards and the model do not draw"]),
    ("citysim.hazards.x", "def frame():\n    from citysim.plots import save_figure\n",
     ["citysim.hazards.x -> citysim.plots: hazards and the model do not draw",
      "citysim.hazards.x -> citysim.plots: layer 3 imports layer 5"]),
    ("citysim.report.x", "from citysim.app import run\n",
     ["citysim.report.x -> citysim.app: below app/ nothing imports app or cli"]),
    ("citysim.app.x", "from citysim import cli\n",
     ["citysim.app.x -> citysim.cli: below app/ nothing imports app or cli"]),
    ("citysim.plots.x", "import matplotlib\nmatplotlib.use('Agg')\n",
     ["citysim.plots.x: calls matplotlib.use(), the backend is the user's choice"]),
    ("citysim.plots.x", "def f():\n    from matplotlib import use as u\n    u('Agg')\n",
     ["citysim.plots.x: calls matplotlib.use(), the backend is the user's choice"]),
    ("citysim.newpart", "import numpy\n",
     ["citysim.newpart: not in the layer map (add it to LAYERS)"]),
])
def test_a_broken_rule_is_reported(module, source, expected):
    assert check_module(module, source) == expected


@pytest.mark.parametrize(("module", "source"), [
    ("citysim.agents.x", "from citysim.hazards.base import Harm, People\n"),
    ("citysim.hazards._x_kernels", "from __future__ import annotations\nimport math\n"
                                   "import numpy as np\nfrom numba import njit\n"
                                   "from citysim.heap import heap_pop\n"
                                   "from citysim.hazards import _fire_kernels\n"),
    ("citysim.plots.x", "import matplotlib.pyplot as plt\nplt.style.use('ggplot')\n"),
    ("citysim.model", "from citysim.hazards.registry import hazard_model\n"
                      "from citysim.scenario import Scenario\nimport numpy as np\n"),
    ("citysim.cli", "from citysim.app import run\n"),
    ("citysim", "from citysim.app import run\nfrom . import scenario\n"),
])
def test_allowed_imports_pass(module, source):
    assert check_module(module, source, is_package=module == "citysim") == []


def test_a_cycle_between_parts_is_reported_once():
    imports = {
        "citysim.simulation": ["citysim.analysis.coverage.f", "citysim.simulation.x"],
        "citysim.analysis.coverage": ["citysim.placement.models.g"],
        "citysim.placement.models": ["citysim.simulation.simulate", "numpy"],
        "citysim.io.tables": ["citysim.errors.ScenarioError"],
    }
    assert check_cycles(imports) == [
        "import cycle among citysim.analysis, citysim.placement, citysim.simulation "
        "(e.g. citysim.analysis -> citysim.placement -> citysim.simulation -> citysim.analysis)"]
    del imports["citysim.placement.models"]
    assert check_cycles(imports) == []


# --- the real tree -------------------------------------------------------------------------


def test_the_package_keeps_its_layers():
    found = check_tree(source_tree())
    assert not found, "layering broken:\n" + "\n".join(found)
