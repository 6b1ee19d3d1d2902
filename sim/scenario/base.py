"""Building blocks of the scenario schema: the base model, scalar types, paths.

Every model of the YAML contract derives from :class:`ConfigModel`. Its
validator turns unknown keys into one clear problem each ("unknown key
'rate_kgs' (expected one of: ...); did you mean 'rate_kg_s'?"), runs
key-level checks (one-of sources, parameter sets) *and* field validation,
and reports every problem found, not just the first.

Validators raise :func:`error` (one problem at the validator's location) or
:func:`raise_errors` (several problems at locations below it); pydantic merges
a ``ValidationError`` raised inside a validator into the outer error with the
right location prefix (pydantic-core "support for raising ValidationError
directly"). The error type of our own problems is :data:`SCENARIO_ERROR`, and
their message is final: the loader shows it as it is.
"""

from __future__ import annotations

import difflib
import os
import reprlib
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, NoReturn

from annotated_types import Ge, Gt, Interval, Le, Lt
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    Strict,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_serializer,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

__all__ = [
    "SCENARIO_ERROR",
    "ConfigModel",
    "OmitNoneModel",
    "OneOfModel",
    "Float",
    "Int",
    "NonNegFloat",
    "PosFloat",
    "NonNegInt",
    "PosInt",
    "Fraction",
    "Degrees",
    "Longitude",
    "Latitude",
    "Text",
    "Id",
    "InputPath",
    "OutputPath",
    "base_dir",
    "closest",
    "describe_value",
    "error",
    "line_error",
    "raise_errors",
    "rebuild_error",
    "resolve_input_path",
    "resolve_path",
]

#: Error type of the problems our own validators raise; their message is final.
SCENARIO_ERROR = "scenario"

_BUILTIN_ERROR_TYPES = frozenset(typing.get_args(ErrorType))

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = 4
_repr.maxdict = 4
_repr.maxlevel = 2


def describe_value(value: Any) -> str:
    """Describe a user's value in a message, briefly (never a huge repr).

    Parameters
    ----------
    value
        Any value read from YAML (or given in Python).

    Returns
    -------
    str
        ``'abc'``, ``-5``, ``a mapping``, ``a list`` or ``nothing (null)``.
    """
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (int, float, str)):
        return _repr.repr(value)
    return f"a {type(value).__name__}"


def closest(word: Any, choices: Iterable[str]) -> str | None:
    """Return the choice closest to ``word`` (a likely typo), if any is close."""
    if not isinstance(word, str):
        return None
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return match[0] if match else None


def error(message: str) -> PydanticCustomError:
    """Return a problem to raise from a validator, at the validator's location.

    Parameters
    ----------
    message
        What is wrong and what was expected, as the user will read it.
    """
    return PydanticCustomError(SCENARIO_ERROR, message)


def line_error(loc: Sequence[str | int], message: str, value: Any = None) -> InitErrorDetails:
    """Return one problem at ``loc`` (relative to the validator), for :func:`raise_errors`."""
    return InitErrorDetails(type=error(message), loc=tuple(loc), input=value)


def raise_errors(title: str, errors: Sequence[InitErrorDetails]) -> NoReturn:
    """Raise several problems at once, each at its own location.

    Parameters
    ----------
    title
        Name of the model or type being validated (pydantic's error title).
    errors
        Problems from :func:`line_error` or :func:`rebuild_error`.
    """
    raise ValidationError.from_exception_data(title, list(errors))


def rebuild_error(err: ErrorDetails, loc: Sequence[str | int] | None = None) -> InitErrorDetails:
    """Turn a caught error back into one that can be raised again.

    Parameters
    ----------
    err
        One entry of ``ValidationError.errors()``.
    loc
        New location; the error's own by default.
    """
    where = tuple(err["loc"] if loc is None else loc)
    kind = err["type"]
    if kind in _BUILTIN_ERROR_TYPES:
        out = InitErrorDetails(type=kind, loc=where, input=err.get("input"))
        if "ctx" in err:
            out["ctx"] = err["ctx"]
        return out
    return InitErrorDetails(
        type=PydanticCustomError(kind, err["msg"]), loc=where, input=err.get("input")
    )


def _field_names(cls: type[BaseModel]) -> list[str]:
    """The YAML keys of a model: each field's alias (``class``) or name."""
    return [f.alias or name for name, f in cls.model_fields.items()]


class ConfigModel(BaseModel):
    """Base of every model of the YAML contract.

    Immutable, unknown keys forbidden, no NaN/inf. Subclasses may override
    the hooks :meth:`_prepare` (turn a shorthand such as a bare number into a
    mapping), :meth:`_check_keys` (problems visible from the keys alone) and
    set :attr:`yaml_form` (how the value is written, for "expected ..." messages).
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        validate_default=False,
        revalidate_instances="never",
    )

    #: How a value of this model is written in YAML, for "expected ..." messages.
    yaml_form: ClassVar[str] = ""

    def __eq__(self, other: object) -> bool:
        # Fields only: private provenance (source file, CSV rows) does not make
        # two equal configurations differ.
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    @classmethod
    def _describe(cls) -> str:
        if cls.yaml_form:
            return cls.yaml_form
        return f"a mapping with keys: {', '.join(_field_names(cls))}"

    @classmethod
    def model_for(cls, data: Mapping[str, Any]) -> type[BaseModel]:
        """Return the model that validates the mapping ``data`` in this one's place.

        This one by default; a base whose entries pick their model by a key
        (a hazard, by its ``type``) returns the picked model. Overrides use it
        to find the defaults of the keys below.
        """
        return cls

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        """Turn a shorthand form into a mapping (default: unchanged)."""
        return data

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        """Return problems visible from the known keys alone (default: none)."""
        return []

    @classmethod
    def _known_keys(cls, data: dict[str, Any]) -> list[str]:
        """Return the keys to list in an "unknown key" message."""
        return _field_names(cls)

    @model_validator(mode="wrap")
    @classmethod
    def _validate_mapping(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, cls):
            return handler(data)
        data = cls._prepare(data)
        if isinstance(data, cls):
            return handler(data)
        if not isinstance(data, Mapping):
            raise error(f"expected {cls._describe()}, got {describe_value(data)}")
        fields = _field_names(cls)
        clean: dict[str, Any] = {}
        unknown: list[Any] = []
        for key, value in data.items():
            if isinstance(key, str) and key in fields:
                clean[key] = value
            else:
                unknown.append(key)
        errors: list[InitErrorDetails] = []
        guesses: set[str] = set()
        if unknown:
            known = cls._known_keys(clean)
            for key in unknown:
                message = f"unknown key {describe_value(key)} (expected one of: {', '.join(known)})"
                guess = closest(key, known)
                if guess is not None:
                    message += f"; did you mean {guess!r}?"
                    guesses.add(guess)
                errors.append(line_error((str(key),), message, data[key]))
        errors += cls._check_keys(clean)
        try:
            result = handler(clean)
        except ValidationError as exc:
            # a key-level problem already says what is wrong at that place
            reported = {tuple(e["loc"]) for e in errors}
            errors += [rebuild_error(e) for e in exc.errors() if tuple(e["loc"]) not in reported]
        else:
            if not errors:
                return result
        if guesses:
            # "did you mean 'x'?" already explains why 'x' is missing
            errors = [e for e in errors if not _is_missing(e, guesses)]
        raise_errors(cls.__name__, errors)


def _is_missing(err: InitErrorDetails, keys: set[str]) -> bool:
    loc = tuple(err["loc"])
    if len(loc) != 1 or loc[0] not in keys:
        return False
    kind = err["type"]
    if isinstance(kind, PydanticCustomError):
        return kind.message().startswith("missing")
    return kind == "missing"


class OmitNoneModel(ConfigModel):
    """A model whose unset optional keys are left out when dumped (tagged forms)."""

    @model_serializer(mode="wrap")
    def _omit_none(self, handler: Any) -> Any:
        out = handler(self)
        if isinstance(out, dict):
            return {k: v for k, v in out.items() if v is not None}
        return out

    def __repr_args__(self) -> Any:
        return [(k, v) for k, v in super().__repr_args__() if v is not None]


class OneOfModel(OmitNoneModel):
    """A mapping that holds exactly one of its keys (a source: synthetic | file)."""

    @classmethod
    def _describe(cls) -> str:
        if cls.yaml_form:
            return cls.yaml_form
        return f"a mapping with exactly one of: {', '.join(_field_names(cls))}"

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        names = _field_names(cls)
        given = [k for k in names if data.get(k) is not None]
        if len(given) == 1:
            return []
        if not given:
            return [line_error((), f"expected exactly one of: {', '.join(names)}; got none", data)]
        return [
            line_error(
                (),
                f"expected exactly one of: {', '.join(names)}; got {' and '.join(given)}",
                data,
            )
        ]

    @property
    def kind(self) -> str:
        """Name of the key that is set."""
        for name in type(self).model_fields:
            if getattr(self, name) is not None:
                return name
        raise AssertionError("validated one-of model without a value")  # pragma: no cover


# --- scalars -----------------------------------------------------------------
# Strict: a YAML string "5" or a boolean is not a number; an int is accepted
# where a float is expected, a float is not accepted where an int is.

Float = Annotated[float, Strict()]
Int = Annotated[int, Strict()]
NonNegFloat = Annotated[float, Strict(), Ge(0)]
PosFloat = Annotated[float, Strict(), Gt(0)]
NonNegInt = Annotated[int, Strict(), Ge(0)]
PosInt = Annotated[int, Strict(), Ge(1)]
#: A share in [0, 1].
Fraction = Annotated[float, Strict(), Interval(ge=0, le=1)]
#: A compass direction in degrees, [0, 360).
Degrees = Annotated[float, Strict(), Ge(0), Lt(360)]
Longitude = Annotated[float, Strict(), Ge(-180), Le(180)]
Latitude = Annotated[float, Strict(), Ge(-90), Le(90)]
#: Non-empty text.
Text = Annotated[str, Strict(), StringConstraints(min_length=1)]


def _id_from_number(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


#: An identifier (shelter, station, probe): text; a YAML integer is taken as text.
Id = Annotated[str, BeforeValidator(_id_from_number), Strict(), StringConstraints(min_length=1)]


# --- paths -------------------------------------------------------------------


def base_dir(info: ValidationInfo) -> Path:
    """Return the directory relative paths are resolved against.

    The loader passes ``context={"base_dir": <scenario file's folder>}``;
    without it, paths are relative to the working directory.
    """
    ctx = info.context
    if isinstance(ctx, Mapping) and ctx.get("base_dir") is not None:
        return Path(ctx["base_dir"])
    return Path.cwd()


def resolve_path(value: Any, info: ValidationInfo, *, what: str = "file") -> Path:
    """Resolve a path from the scenario to an absolute path (not checked)."""
    if isinstance(value, Path):
        text = str(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
    else:
        raise error(f"expected a {what} path, got {describe_value(value)}")
    if "\x00" in text:
        raise error("a file path cannot contain a NUL character")
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        path = base_dir(info) / path
    return Path(os.path.abspath(path))


def resolve_input_path(value: Any, info: ValidationInfo) -> Path:
    """Resolve a path like :func:`resolve_path` and check that the file exists."""
    path = resolve_path(value, info)
    try:
        is_file = path.is_file()
        is_dir = not is_file and path.is_dir()
    except (OSError, ValueError) as exc:
        raise error(f"cannot use input file {path}: {exc}") from None
    if is_dir:
        raise error(f"expected a file, but {path} is a directory")
    if not is_file:
        raise error(f"input file not found: {path}")
    return path


def _output_path(value: Any, info: ValidationInfo) -> Path:
    return resolve_path(value, info, what="folder")


#: An existing input file; relative to the scenario file; absolute once loaded.
InputPath = Annotated[Path, PlainValidator(resolve_input_path)]
#: An output location; relative to the scenario file; absolute once loaded; need not exist.
OutputPath = Annotated[Path, PlainValidator(_output_path)]
