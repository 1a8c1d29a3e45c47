"""Url-encoded bodies are read as the standard library reads them, with or without escapes (the
server skips parse_qsl's per-field work when a body has nothing to unquote)."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qsl

import pytest

from openors.server.bodies import MAX_FORM_FIELDS, MalformedBody, body_parameters

FORM = "application/x-www-form-urlencoded"
PIECES = ["a", "b", "=", "&", "x=", "=y", "&&", "é", ";", "%41", "+", "%zz"]


def standard(body: bytes) -> dict:
    out: dict = {}
    for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
        out[key] = out[key] + [value] if isinstance(out.get(key), list) else [out[key], value] if key in out \
            else value
    return out


def test_a_form_body_gives_the_parameters_the_standard_parser_gives():
    for pieces in itertools.product(PIECES, repeat=3):  # every body of three pieces
        body = "".join(pieces).encode("utf-8")
        assert body_parameters({}, FORM, body) == standard(body), body


def test_a_form_with_too_many_fields_is_400_with_or_without_escapes():
    for separator in ("&", "+&"):
        with pytest.raises(MalformedBody, match="cannot be read"):
            body_parameters({}, FORM, (separator * MAX_FORM_FIELDS).encode() + b"k=v")
