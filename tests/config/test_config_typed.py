"""fourlayer.config.typed: pydantic models judged with our one-line, line-aware errors."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Annotated

import pytest
from pydantic import Field

from fourlayer.config.typed import Strict, expect, schema, validate
from fourlayer.config.yaml_lines import load_yaml_text
from fourlayer.core.errors import InputError


def _level(v):
    return None if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5 else \
        "expected a classification level 1–5"


class Ssh(Strict):
    max_auth_tries: Annotated[int, Field(ge=1)] = 4
    weak: list[str] = []


class System(Strict):
    id: str
    level: Annotated[int, Field(ge=1, le=5), expect(_level)]
    ports: dict[int, str] = {}


class File(Strict):
    ssh: Ssh = Ssh()
    systems: list[System] = []


def _err(text: str) -> str:
    with pytest.raises(InputError) as info:
        validate(File, load_yaml_text(text, "f.yaml"), "f.yaml")
    return info.value.one_line()


def test_valid_file_gives_frozen_typed_model():
    got = validate(File, load_yaml_text("ssh:\n  max_auth_tries: 3\nsystems:\n  - id: a\n    level: 2\n"
                                        "    ports: {22: ssh}\n", "f.yaml"), "f.yaml")
    assert got.ssh.max_auth_tries == 3 and got.systems[0].ports == {22: "ssh"}
    with pytest.raises(Exception):
        got.ssh.max_auth_tries = 9  # frozen


@pytest.mark.parametrize("text, line", [
    ("ssh:\n  max_auth_trys: 3\n", "f.yaml:2: ssh.max_auth_trys: unknown key; did you mean 'max_auth_tries'?"),
    ("ssh:\n  max_auth_tries: 'x'\n", "f.yaml:2: ssh.max_auth_tries: expected a whole number, got 'x' (text)"),
    ("ssh:\n  max_auth_tries: 0\n", "f.yaml:2: ssh.max_auth_tries: expected at least 1, got 0 (a number)"),
    ("systems:\n  - id: a\n    level: 2\n  - id: b\n    level: 9\n",
     "f.yaml:5: systems[1].level: expected a classification level 1–5, got 9 (a number)"),
    ("systems:\n  - id: a\n    level: 2\n  - level: 3\n", "f.yaml:4: systems[1].id: required; add 'id:' here"),
    ("ssh:\n  weak: [a, 3]\n", "f.yaml:2: ssh.weak[1]: expected text, got 3 (a number)"),
    ("ssh: 5\n", "f.yaml:1: ssh: expected a mapping, got 5 (a number)"),
    ("ssh:\n  max_auth_tries: true\n", "f.yaml:2: ssh.max_auth_tries: expected a whole number, got true (a boolean)"),
])
def test_first_error_names_file_line_field_and_fix(text, line):
    assert _err(text) == line


def test_error_never_echoes_long_values():
    line = _err("systems:\n  - id: a\n    level: '" + "s3cret" * 50 + "'\n")
    assert "s3cret" * 10 not in line and line.startswith("f.yaml:3: systems[0].level:")


def test_schema_is_generated_from_the_model():
    out = schema(File, "test file")
    assert out["$schema"].endswith("2020-12/schema") and out["title"] == "test file"
    system = out["$defs"]["System"]
    assert system["additionalProperties"] is False and system["required"] == ["id", "level"]
    assert system["properties"]["level"]["minimum"] == 1 and system["properties"]["level"]["maximum"] == 5
    json.dumps(out)


def test_cli_start_up_does_not_import_pydantic():
    """`fourlayer --help` must not pay for pydantic: the models load when a file is loaded."""
    code = "import sys, fourlayer.cli.main; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


class Named(Strict):
    name: Annotated[str, Field(examples=["<who approved it>"])]
    note: str = ""


@pytest.mark.parametrize("text, line", [
    ("note: x\n", "f.yaml:1: name: missing; add name: <who approved it>"),  # the field's example is the hint
    ("nmae: x\n", "f.yaml:1: nmae: unknown key; did you mean 'name'?"),  # the typo, not the missing key it explains
])
def test_missing_field_hints_and_typos_first(text, line):
    with pytest.raises(InputError) as info:
        validate(Named, load_yaml_text(text, "f.yaml"), "f.yaml")
    assert info.value.one_line() == line


class Mapped(Strict):
    id: str
    from_level: Annotated[int, Field(ge=1, le=5)] = 1


class Rules(Strict):
    ports: list[Annotated[int, Field(ge=1, le=65535)] | str] = []
    checks: list[str | Mapped] = []


@pytest.mark.parametrize("text, line", [
    ("ports: [22, 70000]\n", "f.yaml:1: ports[1]: expected at most 65535, got 70000 (a number)"),
    ("checks:\n  - a\n  - {id: b, from_level: 9}\n", "f.yaml:3: checks[1].from_level: expected at most 5, got 9 (a number)"),
])
def test_errors_inside_a_union_name_the_file_s_own_path(text, line):
    """pydantic names the union member it tried in the location; the file has no such key."""
    with pytest.raises(InputError) as info:
        validate(Rules, load_yaml_text(text, "f.yaml"), "f.yaml")
    assert info.value.one_line() == line
