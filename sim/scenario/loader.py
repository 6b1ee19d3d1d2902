"""Loading a scenario: YAML -> overrides -> validation -> :class:`~citysim.scenario.Scenario`.

Bad input of any kind raises :class:`~citysim.errors.ScenarioError` listing every
problem found, each with its YAML path and, from a file, its line; nothing
else escapes for bad input.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from citysim.errors import Problem, ScenarioError
from citysim.scenario.base import describe_value
from citysim.scenario.overrides import Override, apply_overrides, parse_override
from citysim.scenario.problems import Loc, error_message, format_path
from citysim.scenario.schema import Scenario
from citysim.scenario.yamlio import YamlDocument, parse_yaml, read_yaml

__all__ = ["SourceMap", "load_scenario", "load_scenario_dict", "load_scenario_text"]


@dataclass(frozen=True, eq=False)
class SourceMap:
    """Where the values of a loaded scenario came from: file lines and overrides."""

    document: YamlDocument | None
    overrides: tuple[Override, ...] = ()

    def override_for(self, loc: Loc) -> Override | None:
        """Return the last override that set ``loc``, a value containing it, or created it.

        An override creates the keys on its path that the file does not have
        (``--set response.nosuch.x=1`` creates ``response.nosuch``).
        """
        for override in reversed(self.overrides):
            if tuple(loc[: len(override.loc)]) == override.loc:
                return override
        loc = tuple(loc)
        for override in reversed(self.overrides):
            if override.loc[: len(loc)] == loc and not self._in_file(loc):
                return override
        return None

    def _in_file(self, loc: Loc) -> bool:
        node = self.document.data if self.document is not None else None
        for part in loc:
            if isinstance(part, str) and isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
            else:
                return False
        return True

    def problem(self, loc: Loc, message: str) -> Problem:
        """Return a problem at ``loc``, with its line, or the override that set it."""
        override = self.override_for(loc)
        if override is not None:
            return Problem(format_path(loc), f"{message} (value from override {override.text!r})")
        line = self.document.line_of(loc) if self.document is not None else None
        return Problem(format_path(loc), message, line)


def load_scenario(
    path: str | os.PathLike[str],
    *,
    overrides: Sequence[str | Override] = (),
    seed: int | None = None,
) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file. Paths inside it are relative to its folder.
    overrides
        ``key.path=value`` overrides (``--set``), applied in order.
    seed
        Replaces ``run.seed`` (``--seed``).

    Returns
    -------
    Scenario
        Validated and resolved; ``source_file`` and ``overrides`` record where
        it came from.

    Raises
    ------
    ScenarioError
        With every problem found (YAML path, message, line).
    """
    file = Path(path).absolute()
    document = read_yaml(file)
    return _load(document.data, file.parent, overrides, seed, document, file)


def load_scenario_text(
    text: str,
    *,
    base_dir: str | Path,
    overrides: Sequence[str | Override] = (),
    seed: int | None = None,
    source: str | Path | None = None,
) -> Scenario:
    """Load a scenario from YAML text (paths relative to ``base_dir``).

    Parameters and errors as :func:`load_scenario`; ``source`` names the text
    in messages.
    """
    src = Path(source) if source is not None else None
    document = parse_yaml(text, source=src)
    return _load(document.data, Path(base_dir), overrides, seed, document, src)


def load_scenario_dict(
    data: Any,
    *,
    base_dir: str | Path,
    overrides: Sequence[str | Override] = (),
    seed: int | None = None,
) -> Scenario:
    """Load a scenario from already-parsed data (a mapping, as YAML would give).

    Parameters
    ----------
    data
        The scenario mapping; not modified.
    base_dir
        Folder that relative paths are relative to.
    overrides, seed
        As :func:`load_scenario`.

    Raises
    ------
    ScenarioError
        With every problem found (YAML path and message; no lines).
    """
    return _load(data, Path(base_dir), overrides, seed, None, None)


def _load(
    data: Any,
    base_dir: Path,
    overrides: Sequence[str | Override],
    seed: int | None,
    document: YamlDocument | None,
    source: Path | None,
) -> Scenario:
    problems = list(document.problems) if document is not None else []
    if not isinstance(data, dict):
        top = Problem(
            "",
            f"expected a scenario: a mapping with sections name, run, city, ...; "
            f"got {describe_value(data)}",
            1 if document is not None else None,
        )
        raise ScenarioError([*problems, top], source=source)
    parsed, bad = _parse_overrides(overrides, seed)
    try:
        data = apply_overrides(data, parsed, Scenario)
    except ScenarioError as exc:
        bad += exc.problems
    if bad:
        raise ScenarioError([*problems, *bad], source=source)
    smap = SourceMap(document, tuple(parsed))
    try:
        scenario = Scenario.model_validate(data, context={"base_dir": base_dir.absolute()})
    except ValidationError as exc:
        problems += [smap.problem(tuple(e["loc"]), error_message(e)) for e in exc.errors()]
    except RecursionError:
        problems.append(Problem("", "the data is nested too deeply"))
    if problems:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        raise ScenarioError(problems, source=source)
    scenario._source_file = source
    scenario._overrides = tuple(o.text for o in parsed)
    scenario._source_map = smap
    return scenario


def _parse_overrides(
    overrides: Sequence[str | Override], seed: int | None
) -> tuple[list[Override], list[Problem]]:
    if overrides is None:
        overrides = ()
    elif isinstance(overrides, str):
        overrides = [overrides]
    parsed: list[Override] = []
    problems: list[Problem] = []
    for item in overrides:
        if isinstance(item, Override):
            parsed.append(item)
            continue
        try:
            parsed.append(parse_override(item))
        except ScenarioError as exc:
            problems += exc.problems
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            problems.append(Problem("run.seed", f"--seed: expected an integer >= 0, got {seed!r}"))
        else:
            parsed.append(Override(("run", "seed"), int(seed), f"run.seed={int(seed)}"))
    return parsed, problems
