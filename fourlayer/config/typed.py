"""pydantic v2 models for fourlayer's YAML files, with the line-aware, one-line errors kept on top.

A file kind declares its shape as models built on `Strict` (unknown keys refused, no type coercion, frozen), and
loads a `fourlayer.config.yaml_lines` tree with `validate(Model, raw, path)`. pydantic's first error becomes one
`InputError(file, line, field, message)`: the line is looked up in the tree along the error's location, unknown
keys get a "did you mean" hint from the model's own fields, and values carry the file kind's own wording:

    PosInt = Annotated[int, Field(ge=1), expect(POS_INT)]   # POS_INT(v) -> "expected ..." | None

`expect(check)` runs the file kind's check before pydantic's own (so the message is ours, e.g. "expected a
classification level 1–5, got 7 (a number)"), while the JSON Schema still comes from the annotated type
(`schema(Model, title)`, written by scripts/gen_schemas.py): the schema files are generated from the models,
never kept by hand.

Importing this module imports pydantic (about 35 ms): the CLI imports it only when it loads a file, never for
`fourlayer --help`.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from typing import Any, Callable, Mapping, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from fourlayer.config.yaml_lines import LineDict, LineList, field_path, got, item_path, show
from fourlayer.core.errors import InputError

M = TypeVar("M", bound=BaseModel)
Check = Callable[[Any], "str | None"]  # returns what was expected when the value is wrong, else None

_EXPECTED = "fourlayer_expected"


class Strict(BaseModel):
    """The base of every file model: unknown keys are errors, values keep their YAML type, instances are frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


def expect(check: Check) -> BeforeValidator:
    """A validator that applies a file kind's own check (and message) before pydantic's type and bounds."""

    def run(value: Any) -> Any:
        problem = check(value)
        if problem:
            raise PydanticCustomError(_EXPECTED, "{expected}", {"expected": problem})
        return value

    run.check = check  # type: ignore[attr-defined]  # for check_of()
    return BeforeValidator(run)


@dataclasses.dataclass(frozen=True)
class Required(BeforeValidator):
    """Field metadata of a required key: absent or null, it is "missing; add key: <hint>" (the hint says what to
    write). Use `required(hint)`."""

    hint: str = ""


def required(hint: str) -> Required:
    def run(value: Any, info: ValidationInfo) -> Any:
        if value is None:
            raise PydanticCustomError(_EXPECTED_MISSING, "missing; add {key}: {hint}",
                                      {"key": info.field_name, "hint": hint})
        return value

    return Required(run, hint=hint)


_EXPECTED_MISSING = "fourlayer_missing"


def _missing_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """What to write for a missing key: its `required(hint)`, else the field's first example (which the JSON
    Schema shows too), else None."""
    owner = _model_at(model, loc[:-1]) if loc and isinstance(loc[-1], str) else None
    field = owner.model_fields.get(loc[-1]) if owner is not None else None
    if field is None:
        return None
    hint = next((m.hint for m in field.metadata if isinstance(m, Required)), None)
    return hint or (str(field.examples[0]) if field.examples else None)


def check_of(annotation: Any) -> Check | None:
    """The check that `expect` attached to an annotated type, if any (to judge one value, e.g. a mapping key
    that is about to be removed, on its own)."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return None
    return next((m.func.check for m in typing.get_args(annotation)[1:]
                 if isinstance(m, BeforeValidator) and hasattr(m.func, "check")), None)


def js_pattern(rx: re.Pattern[str]) -> str:
    """A check's regex (ending `\\Z`) as a Field pattern: JSON Schema's ECMA regex and pydantic's Rust regex
    end with `$` (the check, run first, keeps Python's stricter end)."""
    return rx.pattern.removesuffix(r"\Z") + "$"


def key_hint(key: Any, names: list[str]) -> str:
    """'did you mean 'x'?' for a near miss of one of `names`, else the list of allowed keys."""
    close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(names)}" if names else ""


# pydantic's error types, in the words our other messages use ("expected …, got 7 (a number)")
_WORDS = {
    "int_type": "expected a whole number", "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number", "bool_type": "expected true or false",
    "string_type": "expected text", "dict_type": "expected a mapping", "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list", "tuple_type": "expected a list", "set_type": "expected a list",
    "date_type": "expected a date like 2026-12-31", "date_from_datetime_inexact": "expected a date like 2026-12-31",
    "none_required": "expected nothing",
}


def _bound_words(error: Mapping[str, Any]) -> str | None:
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "greater_than_equal":
        return f"expected at least {ctx.get('ge')}"
    if kind == "greater_than":
        return f"expected more than {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"expected at most {ctx.get('le')}"
    if kind == "less_than":
        return f"expected less than {ctx.get('lt')}"
    if kind in ("too_short", "string_too_short"):
        return f"expected at least {ctx.get('min_length')} item(s)" if kind == "too_short" else "expected text"
    if kind in ("too_long", "string_too_long"):
        return f"expected at most {ctx.get('max_length')} {'item(s)' if kind == 'too_long' else 'characters'}"
    if kind in ("literal_error", "enum"):
        return f"expected one of {ctx.get('expected', '')}".replace("'", "")
    if kind == "string_pattern_mismatch":
        return "expected a value of the documented form"
    return None


def _unwrap(annotation: Any) -> list[Any]:
    """The types a location step can lead into: `X | None` → [X], `list[X]` → [list[X]] (kept whole)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def _step(annotation: Any, key: Any) -> Any:
    """The annotation one location step (`key`) below `annotation`, or None when it cannot be told."""
    for t in _unwrap(annotation):
        if isinstance(t, type) and issubclass(t, BaseModel) and isinstance(key, str):
            field = t.model_fields.get(key) or next(
                (f for f in t.model_fields.values() if f.alias == key), None)
            if field is not None:
                return field.annotation
        origin, args = typing.get_origin(t), typing.get_args(t)
        if origin in (list, tuple, set, frozenset) and args and isinstance(key, int):
            return args[0]
        if origin in (dict, Mapping) and len(args) == 2 and key != "[key]":
            return args[1]
    return None


def _member_name(t: Any) -> str:
    return getattr(t, "__name__", None) or str(t)


def _without_union_tags(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """`loc` without the steps pydantic adds to name the union member that failed (`ssh.SshIn.port`, `ssh.bool`,
    'function-before[...]'): the file has no such key; drop it, and keep following that member when it is named."""
    out: list[Any] = []
    annotation: Any = model
    for key in loc:
        members = _unwrap(annotation) if annotation is not None else []
        if len(members) > 1 and isinstance(key, str) and key != "[key]" and _step(annotation, key) is None:
            annotation = next((t for t in members if _member_name(t) == key), annotation)
            continue
        out.append(key)
        annotation = _step(annotation, key) if annotation is not None else None
    return tuple(out)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    annotation: Any = model
    for key in loc:
        annotation = _step(annotation, key)
        if annotation is None:
            return None
    return next((t for t in _unwrap(annotation) if isinstance(t, type) and issubclass(t, BaseModel)), None)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _where(raw: Any, loc: tuple[Any, ...], default_line: int, on_key: bool) -> tuple[int | None, str | None]:
    """(line, field path) of location `loc` in the yaml_lines tree `raw`."""
    node, line, where = raw, getattr(raw, "line", 0) or default_line, None
    for i, key in enumerate(loc):
        last = i == len(loc) - 1
        if key == "[key]":  # pydantic's marker: the error is about the mapping key just named
            break
        if isinstance(node, dict) and key in node:
            line = (node.key_line(key) if on_key and last or (i + 1 < len(loc) and loc[i + 1] == "[key]")
                    else node.value_line(key)) if isinstance(node, LineDict) else line
            where, node = field_path(where, key), node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            line = node.item_line(key) if isinstance(node, LineList) else line
            where, node = item_path(where, key), node[key]
        else:  # the key is absent (a missing field): the mapping's own line, the field's full path
            where = item_path(where, key) if isinstance(key, int) else field_path(where, key)
            break
    return line or None, where


def _message(model: type[BaseModel], error: Mapping[str, Any]) -> str:
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    if kind == _EXPECTED:  # a mapping's key is judged at loc (..., key, "[key]")
        return f"{error['ctx']['expected']}{' as key' if loc[-1:] == ('[key]',) else ''}, got {got(value)}"
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        return f"unknown key; {key_hint(loc[-1], _field_names(owner) if owner else [])}".rstrip("; ")
    if kind == "invalid_key":  # a mapping key that is not text (`5: x`) where a model's keys belong
        owner = _model_at(model, loc[:-1])
        allowed = f"; allowed keys: {', '.join(_field_names(owner))}" if owner else ""
        return f"key {show(loc[-1])} is not text{allowed}"
    if kind == _EXPECTED_MISSING:
        return str(error["msg"])
    if kind == "missing":  # the file kind's own hint: "missing; add approver: <who>"
        hint = _missing_hint(model, loc)
        if hint:
            return f"missing; add {loc[-1]}: {hint}"
        return f"required; add '{loc[-1]}:' here" if loc and isinstance(loc[-1], str) else "required"
    words = _WORDS.get(kind) or _bound_words(error)
    if words is None:  # a validator of the model raised ValueError("expected …"): pydantic prefixes "Value error, "
        words = str(error.get("msg", "invalid value")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return words
    return f"{words}, got {got(value)}"


def input_error(model: type[BaseModel], exc: ValidationError, raw: Any, path: str, line: int = 1) -> InputError:
    """The first of pydantic's errors as one line naming the file, the line and the field."""
    errors = [{**e, "loc": _without_union_tags(model, tuple(e["loc"]))} for e in exc.errors(include_url=False)]
    # pydantic reports a value that fails every member of a union once per member; the first is the most direct,
    # unless it only says the value is not of that member's type and another member got further into the value
    error = errors[0]
    if error["type"].endswith("_type"):
        at = error["loc"]
        error = next((e for e in errors if len(e["loc"]) > len(at) and e["loc"][:len(at)] == at), error)
    # a mapping's keys are judged before its values (a misspelt key explains the "missing" one beside it): the
    # first key error of a mapping that encloses the first error, the outermost first
    keys = [e for e in errors if e["type"] in ("extra_forbidden", "invalid_key")
            and tuple(error["loc"][:len(e["loc"]) - 1]) == tuple(e["loc"][:-1])]
    error = min(keys, key=lambda e: len(e["loc"]), default=error)
    at, where = _where(raw, tuple(error["loc"]), line, on_key=error["type"] in ("extra_forbidden", "invalid_key"))
    if error["type"] == "invalid_key":  # the field is the mapping that holds the key
        where = _where(raw, tuple(error["loc"][:-1]), line, on_key=False)[1]
    if error["type"] == "missing" and isinstance(raw, LineDict):
        at = at or raw.line
    return InputError(path, at, where, _message(model, error))


def validate(model: type[M], raw: Any, path: str, context: Mapping[str, Any] | None = None) -> M:
    """`raw` (a yaml_lines tree) as an instance of `model`; raises InputError on the first problem."""
    try:
        return model.model_validate(raw, context=dict(context or {}))
    except ValidationError as exc:
        raise input_error(model, exc, raw, str(path), getattr(raw, "line", 1) or 1) from None


def schema(model: type[BaseModel], title: str, schema_id: str | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a file model, as committed beside the example files."""
    out = model.model_json_schema(mode="validation")
    head: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    if schema_id:
        head["$id"] = schema_id
    head["title"] = title
    out.pop("title", None)
    return {**head, **out}
