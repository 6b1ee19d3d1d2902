"""Exceptions raised for bad user input.

Every problem names where it is in the scenario (a YAML path such as
``hazards[0].release.rate_kg_s``) and, when known, the line in the file.
The CLI prints them and exits with code 2; no traceback reaches the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Parameters
    ----------
    path
        YAML path of the offending value (``run.dt``, ``shelters[2].location``);
        empty for a problem with the whole file.
    message
        What is wrong and what was expected.
    line
        1-based line in the YAML file, when known.
    """

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "<file>"
        if self.line is not None:
            where = f"{where} (line {self.line})"
        return f"{where}: {self.message}"


class ScenarioError(ValueError):
    """Bad input: a scenario (or experiment) that cannot be run as written.

    Parameters
    ----------
    problems
        One or more problems, or a single message.
    path
        YAML path used when ``problems`` is a single message.
    source
        The file the problems were found in, when there is one.
    """

    def __init__(
        self,
        problems: list[Problem] | str,
        *,
        path: str = "",
        source: Path | str | None = None,
    ) -> None:
        if isinstance(problems, str):
            problems = [Problem(path, problems)]
        self.problems: list[Problem] = list(problems)
        self.source = Path(source) if source is not None else None
        super().__init__(self.render())

    def render(self) -> str:
        """Return the problems as lines a user can act on."""
        head = f"{self.source}: " if self.source is not None else ""
        n = len(self.problems)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''}"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)

    def with_source(self, source: Path | str) -> ScenarioError:
        """Return the same problems attributed to ``source``."""
        return ScenarioError(self.problems, source=source)
