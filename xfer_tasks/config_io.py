"""The one way xfer reads a YAML file a user wrote: read, refuse duplicate keys, expand
``${VAR}``, validate against a typed (pydantic v2) schema, and turn every failure into ONE line
naming the file, the key path and what was expected::

    study.yaml: models.qwen05.sweep.seeds[1]: expected an integer >= 0, got -1

Every config loader (``xfer train``, ``xfer sweep``, ``xfer study``) goes through
:func:`read_yaml` and :func:`validation_line`, so the rules are the same everywhere:

- a key given twice in one mapping is an error (PyYAML keeps the last one silently);
- ``${NAME}`` is replaced by a caller's variable, else an environment variable; an unknown
  name is an error naming it and the key it sits in;
- an unknown key gets a did-you-mean from the keys the schema allows (:mod:`difflib`).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigFileError(ValueError):
    """A config file that cannot be used; the message is one line naming the file and key."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a mapping key given twice (the last one would silently win)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"key {key!r} is given twice (lines {seen[key] + 1} and {key_node.start_mark.line + 1}); "
                "keep one", key_node.start_mark,
            )  # fmt: skip
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml_text(text: str, where: str) -> Any:
    """YAML text to Python data, refusing duplicate keys; errors are one line."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        at = f" (line {mark.line + 1})" if mark is not None else ""
        problem = err.problem or err.context or "invalid YAML"
        if "given twice" in str(problem):
            raise ConfigFileError(f"{where}: {problem}") from err
        raise ConfigFileError(f"{where}: not valid YAML{at}: {problem}") from err
    except yaml.YAMLError as err:
        raise ConfigFileError(f"{where}: not valid YAML: {' '.join(str(err).split())}") from err


def read_yaml(path: str | Path, what: str = "config") -> Any:
    """Read a YAML file (``utf-8-sig``: a byte-order mark is not part of the first key)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigFileError(f"{path}: {what} file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigFileError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    except OSError as err:
        raise ConfigFileError(f"{path}: cannot read: {err.strerror or err}") from err
    return parse_yaml_text(text, str(path))


def expand_variables(value: Any, variables: Mapping[str, str], where: str, key: str = "") -> Any:
    """Replace ``${NAME}`` in every string of ``value`` (caller's variables, then the environment)."""
    if isinstance(value, dict):
        return {k: expand_variables(v, variables, where, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_variables(v, variables, where, f"{key}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return str(variables[name])
        if name in os.environ:
            return os.environ[name]
        raise ConfigFileError(
            f"{where}: {key or '(top level)'}: ${{{name}}} is neither a variable the caller passes "
            "nor set in the environment"
        )

    return _VARIABLE.sub(substitute, value)


# ---- numbers: int stays int, float stays float, bools and NaN/inf refused ---------------
def number(
    gt: float | None = None, lt: float | None = None, ge: float | None = None, strings: bool = False
) -> Any:
    """A pydantic type for a YAML number (``2`` stays an int: ``--limit 2`` is not ``2.0``),
    optionally bounded (``gt``/``ge`` below, ``lt`` above). ``strings=True`` also takes a
    numeric string as its float: YAML 1.1 reads ``2e-5`` (no dot) as a string."""
    import math
    from typing import Annotated

    from pydantic import PlainValidator
    from pydantic_core import PydanticCustomError

    def check(value: Any) -> Any:
        if strings and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise PydanticCustomError("float_type", "Input should be a valid number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PydanticCustomError("float_type", "Input should be a valid number")
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "Input should be a finite number")
        if gt is not None and not value > gt:
            raise PydanticCustomError("greater_than", "Input should be greater than {gt}", {"gt": gt, "what": "a number"})
        if ge is not None and not value >= ge:
            raise PydanticCustomError(
                "greater_than_equal", "Input should be greater than or equal to {ge}", {"ge": ge, "what": "a number"}
            )
        if lt is not None and not value < lt:
            raise PydanticCustomError("less_than", "Input should be less than {lt}", {"lt": lt, "what": "a number"})
        return value

    return Annotated[Any, PlainValidator(check)]


def integer(ge: int | None = None) -> Any:
    """A pydantic type for a YAML integer (not a bool, not ``2.0``), optionally ``>= ge``; a
    value of the wrong type is reported with the bound too (``expected an integer >= 1``)."""
    from typing import Annotated

    from pydantic import PlainValidator
    from pydantic_core import PydanticCustomError

    bound = {} if ge is None else {"ge": ge}

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PydanticCustomError("int_type", "Input should be a valid integer", bound)
        if ge is not None and value < ge:
            raise PydanticCustomError(
                "greater_than_equal", "Input should be greater than or equal to {ge}", {"ge": ge, "what": "an integer"}
            )
        return value

    return Annotated[Any, PlainValidator(check)]


class KeyProblem(ValueError):
    """Raised by a schema's model validator for one key of its mapping: the key (a name or a
    list index) joins the key path of the one-line error (``budget.total: ...``)."""

    def __init__(self, key: str | int, message: str) -> None:
        super().__init__(message)
        self.key = key


# ---- pydantic errors as one line --------------------------------------------------------
def key_path(loc: tuple[Any, ...] | list[Any], prefix: str = "") -> str:
    """``("models", "q", "seeds", 1)`` -> ``models.q.seeds[1]``."""
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _allowed_keys(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The keys the schema allows at the mapping holding ``loc[-1]`` (for a did-you-mean)."""
    try:
        from pydantic import BaseModel
    except ImportError:  # pragma: no cover - pydantic is a dependency
        return []
    current: Any = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            if isinstance(part, int) or getattr(current, "__origin__", None) is not None:
                continue
            return []
        current = _inner_model(fields[part].annotation)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _inner_model(annotation: Any) -> Any:
    """The pydantic model inside ``X | None``, ``dict[str, X]``, ``list[X]`` (else None)."""
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validation_line(err: Any, where: str, model: Any = None, prefix: str = "") -> str:
    """The first error of a pydantic ``ValidationError`` as one line: file, key path, expectation."""
    first = err.errors(include_url=False)[0]
    loc = tuple(first.get("loc", ()))
    kind = first.get("type", "")
    message = first.get("msg", "invalid")
    value = first.get("input")
    # a model_validator / field_validator ValueError: our own wording, after "Value error, "
    if kind == "value_error":
        error = first.get("ctx", {}).get("error", message)
        if isinstance(error, KeyProblem):
            loc = (*loc, error.key)
        return f"{where}: {key_path(loc, prefix)}: {error}"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listing = f"; allowed: {', '.join(sorted(allowed))}" if allowed else ""
        return f"{where}: {key_path(loc, prefix)}: unknown key{hint}{listing}"
    if kind == "missing":
        return f"{where}: {key_path(loc, prefix)}: required"
    expected = {
        "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
        "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
        "bool_parsing": "true or false", "string_type": "a string", "list_type": "a list",
        "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
        "finite_number": "a finite number",
    }.get(kind)
    ctx = first.get("ctx") or {}
    if kind == "int_type" and "ge" in ctx:  # integer(ge=...): the bound belongs to what is expected
        expected = f"an integer >= {ctx['ge']}"
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(v for k, v in ctx.items() if k in ("gt", "ge", "lt", "le"))
        numeric = ctx.get("what") or ("an integer" if isinstance(value, int) and not isinstance(value, bool) else "a number")
        expected = f"{numeric} {op} {bound}"
    elif kind in ("literal_error", "enum"):
        expected = f"one of {ctx.get('expected', '')}"
    elif kind in ("too_short",):
        expected = "a non-empty list" if ctx.get("min_length") == 1 else message.lower()
    if expected is None:
        expected = message[0].lower() + message[1:] if message else "a valid value"
        return f"{where}: {key_path(loc, prefix)}: {expected}, got {_shown(value)}"
    return f"{where}: {key_path(loc, prefix)}: expected {expected}, got {_shown(value)}"


def validate(model: Any, data: Any, where: str, prefix: str = "", error: type[Exception] = ConfigFileError) -> Any:
    """``model.model_validate(data)``, with a failure raised as ``error`` (one line)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise error(validation_line(err, where, model, prefix)) from None


def load(
    path: str | Path,
    model: Any,
    variables: Mapping[str, str] | None = None,
    error: type[Exception] = ConfigFileError,
    what: str = "config",
) -> Any:
    """The one loader: read + duplicate keys + ``${VAR}`` + validate -> the typed object."""
    try:
        data = expand_variables(read_yaml(path, what), dict(variables or {}), str(path))
    except ConfigFileError as err:
        raise error(str(err)) from None
    return validate(model, data, str(path), error=error)
