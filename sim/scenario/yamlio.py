"""Reading YAML with line numbers, safely.

``yaml.safe_load`` semantics (no arbitrary tags), plus what a config file
needs: the node tree to map a YAML path to its line, duplicate keys reported
(the later value would silently win), a bound on alias expansion ("billion
laughs") and recursive aliases refused, and every failure as a
:class:`~citysim.errors.ScenarioError` with a line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from citysim.errors import Problem, ScenarioError
from citysim.scenario.problems import Loc, format_path

__all__ = ["MAX_NODES", "SafeLoader", "YamlDocument", "parse_yaml", "read_yaml", "safe_load"]

#: Most YAML nodes a document may expand to (aliases counted at every use).
MAX_NODES = 1_000_000

_STR_TAG = "tag:yaml.org,2002:str"
#: YAML 1.1 reads ``1:30`` as 90 (base 60) and ``017`` as 15 (octal): surprises in a
#: config file, so such plain scalars stay text (and a duration or id check says so).
_SURPRISING_NUMBERS = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
        |[-+]?0[0-9_]+)$""",
    re.X,
)


#: YAML 1.1 needs a dot and a signed exponent (``1.0e+3``); like YAML 1.2, read ``1e3``,
#: ``2.5e5`` as numbers too.
_EXPONENT_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
_FLOAT_TAG = "tag:yaml.org,2002:float"


class SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that keeps ``1:30`` and ``017`` as text and reads ``1e3`` as 1000.0."""


SafeLoader.yaml_implicit_resolvers = {
    key: list(value) for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "+-0123456789":
    _resolvers = SafeLoader.yaml_implicit_resolvers.setdefault(_first, [])
    _resolvers.insert(0, (_FLOAT_TAG, _EXPONENT_FLOAT))
    _resolvers.insert(0, (_STR_TAG, _SURPRISING_NUMBERS))


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with :class:`SafeLoader` (for override values)."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a SafeLoader subclass


_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True, eq=False)
class YamlDocument:
    """A parsed YAML document.

    Attributes
    ----------
    data
        The constructed Python data (``yaml.safe_load`` semantics).
    root
        The composed node tree (for line numbers).
    source
        The file, when read from one.
    problems
        Problems that do not stop reading (duplicate keys); the loader
        reports them with the validation problems.
    """

    data: Any
    root: yaml.Node | None = None
    source: Path | None = None
    problems: tuple[Problem, ...] = field(default=())

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Return the 1-based line of the value at ``loc``, or of its nearest ancestor.

        A mapping entry's line is its key's line; a list item's line is where
        the item starts. Returns ``None`` without a node tree.
        """
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in loc:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                found = None
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == part:
                        found = (key, value)
                if found is None:
                    break
                line = found[0].start_mark.line + 1
                node = found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


def read_yaml(path: str | Path) -> YamlDocument:
    """Read and parse a YAML file.

    Raises
    ------
    ScenarioError
        When the file cannot be read, is not UTF-8 text, or is not valid YAML.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", source=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [Problem("", f"the file is not UTF-8 text (bad byte at offset {exc.start})", line)],
            source=path,
        ) from None
    return parse_yaml(text, source=path)


def parse_yaml(text: str, *, source: str | Path | None = None) -> YamlDocument:
    """Parse one YAML document from text.

    Parameters
    ----------
    text
        The document.
    source
        The file it came from, for messages.

    Raises
    ------
    ScenarioError
        On a syntax error (with its line), an empty document, several
        documents, a recursive alias, or a document too large once aliases
        are expanded.
    """
    src = Path(source) if source is not None else None
    loader = None
    try:
        loader = SafeLoader(text)
        root = loader.get_single_node()
        if root is None:
            raise ScenarioError(
                [Problem("", "the file is empty: expected a scenario (name, run, city, ...)", 1)],
                source=src,
            )
        _check_expansion(root, src)
        duplicates = _duplicate_keys(root)
        data = loader.construct_document(root)
    except ScenarioError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = "; ".join(str(p) for p in (exc.context, exc.problem) if p)
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError([Problem("", f"invalid YAML: {what}", line)], source=src) from None
    except yaml.reader.ReaderError as exc:
        line = text[: max(exc.position, 0)].count("\n") + 1
        raise ScenarioError(
            [Problem("", f"invalid YAML: character {exc.character!r}: {exc.reason}", line)],
            source=src,
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem("", f"invalid YAML: {exc}")], source=src) from None
    except RecursionError:
        raise ScenarioError([Problem("", "invalid YAML: nested too deeply")], source=src) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # a scalar PyYAML recognises but cannot build (a date such as 2021-13-45)
        raise ScenarioError([Problem("", f"invalid YAML value: {exc}")], source=src) from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDocument(data=data, root=root, source=src, problems=tuple(duplicates))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, source: Path | None) -> None:
    """Refuse recursive aliases and documents that expand to more than MAX_NODES nodes."""
    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            active.discard(key)
            total = 1 + sum(size[id(c)] for c in _children(node))
            if total > MAX_NODES:
                line = node.start_mark.line + 1
                raise ScenarioError(
                    [
                        Problem(
                            "",
                            f"the document is too large once aliases are expanded "
                            f"(more than {MAX_NODES} values)",
                            line,
                        )
                    ],
                    source=source,
                )
            size[key] = total
            continue
        if key in size:
            continue
        if key in active:
            raise _recursive(node, source)
        active.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in active:
                raise _recursive(child, source)
            if id(child) not in size:
                stack.append((child, False))


def _recursive(node: yaml.Node, source: Path | None) -> ScenarioError:
    return ScenarioError(
        [
            Problem(
                "", "a YAML alias refers to the value that contains it", node.start_mark.line + 1
            )
        ],
        source=source,
    )


def _duplicate_keys(root: yaml.Node) -> list[Problem]:
    problems = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
                    ident = (key.tag, key.value)
                    line = key.start_mark.line + 1
                    if ident in keys:
                        problems.append(
                            Problem(
                                format_path((*loc, key.value)),
                                f"duplicate key {key.value!r} (first on line {keys[ident]})",
                                line,
                            )
                        )
                    else:
                        keys[ident] = line
                    stack.append((value, (*loc, key.value)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, (*loc, i)))
    return problems
