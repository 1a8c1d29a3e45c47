"""Small readers for YAML-loaded data that fail with `file: path.to.field: what was wrong`."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A topology or scenario file is wrong; the message names the file and the field."""

    def __init__(self, source: str, path: str, message: str) -> None:
        self.source, self.path, self.message = source, path, message
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {message}")


def load_yaml(path: str | Path) -> tuple[Any, str]:
    """Read a YAML file; returns (data, display name used in errors)."""
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(name, "", f"cannot read file ({exc.strerror})") from exc
    try:
        return yaml.safe_load(text), name
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(name, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from exc


class Reader:
    """Typed access to one mapping of a config file, remembering where it is for errors."""

    def __init__(self, source: str, path: str, data: Any) -> None:
        self.source, self.path = source, path
        if not isinstance(data, dict):
            self.fail(f"expected a mapping, got {_kind(data)}")
        self.data: dict[str, Any] = data

    def fail(self, message: str, key: str | None = None) -> None:
        raise ConfigError(self.source, self._at(key), message)

    def _at(self, key: str | None) -> str:
        if key is None:
            return self.path
        return f"{self.path}.{key}" if self.path else key

    def child(self, key: str, *, required: bool = False) -> Reader | None:
        if key not in self.data or self.data[key] is None:
            if required:
                self.fail("is required", key)
            return None
        return Reader(self.source, self._at(key), self.data[key])

    def items(self, key: str, *, required: bool = False) -> list[Any]:
        """A list field; [] when absent and optional."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail("is required", key)
            return []
        if not isinstance(value, list):
            self.fail(f"expected a list, got {_kind(value)}", key)
        return value

    def item_reader(self, key: str, index: int, value: Any) -> Reader:
        return Reader(self.source, f"{self._at(key)}[{index}]", value)

    def str(self, key: str, default: Any = ..., *, choices: Iterable[str] | None = None) -> Any:
        value = self._get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # DNs and numbers are often written unquoted
        if not isinstance(value, str):
            self.fail(f"expected a string, got {_kind(value)}", key)
        if choices is not None and value not in set(choices):
            self.fail(f"expected one of {', '.join(sorted(choices))}, got {value!r}", key)
        return value

    def number(self, key: builtins.str, default: Any = ..., *, minimum: float | None = 0.0) -> Any:
        value = self._get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(f"expected a number, got {_kind(value)}", key)
        if minimum is not None and value < minimum:
            self.fail(f"must be >= {minimum:g}, got {value}", key)
        return float(value)

    def bool(self, key: builtins.str, default: Any = ...) -> Any:
        value = self._get(key, default)
        if not isinstance(value, bool):
            self.fail(f"expected true or false, got {_kind(value)}", key)
        return value

    def mapping(self, key: builtins.str, default: Any = ...) -> Any:
        value = self._get(key, default)
        if value is None and default is None:
            return None
        if not isinstance(value, dict):
            self.fail(f"expected a mapping, got {_kind(value)}", key)
        return value

    def only(self, allowed: Iterable[builtins.str]) -> None:
        """Reject unknown keys: a typo should not silently change the simulation."""
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                self.fail(f"unknown field (expected one of {', '.join(sorted(allowed))})", str(key))

    def _get(self, key: builtins.str, default: Any) -> Any:
        if key in self.data and self.data[key] is not None:
            return self.data[key]
        if default is ...:
            self.fail("is required", key)
        return default


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            type(None): "nothing"}.get(type(value), f"a {type(value).__name__}")
