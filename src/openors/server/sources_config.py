"""The `sources:` section of `openors serve`: where documents may come from, where sessions may
reach, and the size caps (see `openors.scxml.sources`).

    sources:
      documents: [file:*, "https://strategies.example.com/*"]   # URL globs; a bare path is a file
      fetch: ["https://*", "http://crm.internal/*"]             # pattern relative to this file
      max_document_bytes: 16777216     # a document, and again all its includes together
      max_document_elements: 50000     # elements of a document once its includes are in place
      max_fetch_bytes: 4194304         # a session:fetch answer, a Basic HTTP answer or request
      timeout_s: 10                    # one read of a document or of what it refers to
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from openors.scxml.sources import DEFAULT_POLICY, SourcePolicy

GiB = 1024 ** 3
_SIZES = ("max_document_bytes", "max_document_elements", "max_fetch_bytes")
KEYS = {"documents", "fetch", "timeout_s", *_SIZES}


class SourcesConfigError(ValueError):
    """A bad value in `sources:`; the message names the field."""


def load_sources(section: dict, base: Path) -> SourcePolicy:
    """The policy the section describes (its keys already checked against KEYS)."""
    changes: dict = {}
    for key in ("documents", "fetch"):
        if key in section:
            changes[key] = _patterns(section[key], key, base)
    for key in _SIZES:
        if key in section:
            changes[key] = _size(section[key], key)
    if "timeout_s" in section:
        changes["timeout_s"] = _timeout(section["timeout_s"])
    return replace(DEFAULT_POLICY, **changes)


def _patterns(value, key: str, base: Path) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise SourcesConfigError(f"sources.{key} must be a list of URL patterns, not {value!r}")
    patterns = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise SourcesConfigError(f"sources.{key}[{i}] must be a URL pattern (text), not {item!r}")
        item = item.strip()
        scheme = urlsplit(item).scheme.lower() if ":" in item else ""
        if len(scheme) <= 1:  # a path (a Windows drive letter is no scheme either)
            item = "file://" + str(base / item) if not Path(item).is_absolute() else "file://" + item
        elif scheme not in ("file", "http", "https"):
            raise SourcesConfigError(f"sources.{key}[{i}] {item!r}: only file:, http: and https: URLs can be "
                                     f"allowed")
        patterns.append(item)
    return tuple(patterns)


def _size(value, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4 * GiB:
        raise SourcesConfigError(f"sources.{key} must be a whole number between 1 and {4 * GiB}, not {value!r}")
    return value


def _timeout(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0 < value <= 600:
        raise SourcesConfigError(f"sources.timeout_s must be a number of seconds above 0 and at most 600, "
                                 f"not {value!r}")
    return float(value)
