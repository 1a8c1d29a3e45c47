"""Test files of `openors test`: YAML checked against test-file.schema.json (docs/testing.md).

A file's top-level keys are the defaults of its tests; each test may override them. Paths in a
file are relative to the file. A file that breaks the schema is refused with its file, line and
field, before anything runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

MAX_FILE_BYTES = 2_000_000
WORLD_KEYS = ("topology", "applications", "start", "zone", "config_lists", "mocks", "scenario", "until",
              "seed", "strict", "sl_threshold")


class TestFileError(Exception):
    """A test file that cannot be read or breaks the schema: the message names file, line, field."""


@dataclass
class TestCase:
    file: str  # as given on the command line
    index: int
    name: str
    base: str  # the folder paths in the file are relative to
    settings: dict[str, Any] = field(default_factory=dict)  # the WORLD_KEYS in force for this test
    expect: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def schema() -> dict[str, Any]:
    text = (resources.files("openors.testing") / "test-file.schema.json").read_text()
    return json.loads(text)


def load_test_file(path: str | Path) -> list[TestCase]:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TestFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TestFileError(f"{path}: cannot be read ({exc.__class__.__name__}: {exc})") from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise TestFileError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise TestFileError("\n".join(_describe(path, root, e) for e in errors[:10]))
    defaults = {k: data[k] for k in WORLD_KEYS if k in data}
    cases = []
    names: set[str] = set()
    for i, test in enumerate(data["tests"]):
        if test["name"] in names:
            at = _line_of(root, ["tests", i, "name"])
            raise TestFileError(f"{path}:{at}: tests[{i}].name: {test['name']!r} is used twice")
        names.add(test["name"])
        settings = {**defaults, **{k: test[k] for k in WORLD_KEYS if k in test}}
        cases.append(TestCase(str(path), i, test["name"], str(path.resolve().parent), settings,
                              test.get("expect", {})))
    return cases


def _describe(path: Path, root: yaml.Node | None, error: jsonschema.ValidationError) -> str:
    where = list(error.absolute_path)
    field_name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".") or "(top)"
    message = error.message
    if error.validator == "oneOf" and len(where) >= 2 and where[-2] == "interactions":
        message = "name the interaction with exactly one of call, chat, email, sms"
    elif error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        message = f"{message}; allowed: {allowed}"
    return f"{path}:{_line_of(root, where)}: {field_name}: {message}"


def _line_of(node: yaml.Node | None, where: list) -> int:
    """The line of the YAML node at `where` (or of its nearest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for step in where:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
