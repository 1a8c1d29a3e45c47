"""Basic HTTP messages (SCXML 1.0 Appendix C.2): a <send> as an HTTP POST, and a POST as an event.

Sending: the event name goes in the `_scxmleventname` parameter, namelist and <param> values are
form fields. A <content> value is the body: text percent-encoded (the form encoding every other
Basic HTTP message uses, so a receiver can always decode it), XML as XML, anything else as JSON.

Receiving: the event name is `_scxmleventname` (a form field, query parameter or header), else
`HTTP.<METHOD>`; everything else in the message becomes the event's data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode

from lxml import etree

from ..values import XmlValue

EVENT_NAME_PARAM = "_scxmleventname"
FORM = "application/x-www-form-urlencoded"
_BAD_NAME = re.compile(r"\s")


class MalformedMessage(ValueError):
    """A request that cannot be made into an SCXML event (answered with HTTP 400)."""


@dataclass
class OutgoingMessage:
    query: list[tuple[str, str]]
    body: bytes
    content_type: str


# --- sending -----------------------------------------------------------------------------------

def form_value(value: Any) -> str:
    """A datamodel value as the text of one form field."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # JS numbers: 2, not 2.0
    if isinstance(value, XmlValue):
        return value.xml
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


def encode_send(name: str | None, req: dict) -> OutgoingMessage:
    """The POST for a <send>: form fields for event/namelist/params, or <content> as the body."""
    head = [] if name is None else [(EVENT_NAME_PARAM, name)]
    data = req.get("data")
    pairs = req.get("pairs")
    if pairs is None and isinstance(data, dict):  # a request without pairs (e.g. restored): data is the fields
        pairs = list(data.items())
    if pairs or data is None:
        fields = head + [(str(k), form_value(v)) for k, v in pairs or []]
        return OutgoingMessage([], urlencode(fields, quote_via=quote).encode("ascii"), FORM)
    # <content>: the body is the value; the name has to travel in the query string
    if isinstance(data, str):
        return OutgoingMessage(head, quote(data, safe="").encode("ascii"), FORM)
    if isinstance(data, XmlValue):
        return OutgoingMessage(head, data.xml.encode("utf-8"), "application/xml; charset=utf-8")
    return OutgoingMessage(head, json.dumps(data, default=str).encode("utf-8"), "application/json")


# --- receiving ---------------------------------------------------------------------------------

@dataclass
class IncomingEvent:
    name: str
    data: Any


def decode_request(method: str, query: str, headers: dict[str, str], body: bytes) -> IncomingEvent:
    """The event a request carries; raises MalformedMessage when there is none to make."""
    names = [v for k, v in headers.items() if k.lower() == EVENT_NAME_PARAM]
    fields = _parse_form(query, "query string")
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    text = _text(body)
    data: Any = None
    if not text.strip() or media in ("", FORM):
        if "=" in text or "&" in text or not text.strip():
            fields += _parse_form(text, "form body")
        else:  # a bare form value: <content> text
            data = unquote_plus(text)
    elif media == "application/json" or media.endswith("+json"):
        data = _json(text)
        if isinstance(data, dict) and EVENT_NAME_PARAM in data:
            names.append(str(data.pop(EVENT_NAME_PARAM)))
    elif media in ("application/xml", "text/xml") or media.endswith("+xml"):
        data = _xml(text)
    else:
        data = text
    names += [v for k, v in fields if k == EVENT_NAME_PARAM]
    values = {k: v for k, v in fields if k != EVENT_NAME_PARAM}  # a repeated name keeps its last value
    if values and data is None:
        data = values
    return IncomingEvent(_event_name(names, method), data)


def _event_name(names: list[str], method: str) -> str:
    if not names:
        return f"HTTP.{method.upper()}"
    if len(set(names)) > 1:
        raise MalformedMessage(f"more than one {EVENT_NAME_PARAM}: {sorted(set(names))}")
    name = names[0]
    if not name or _BAD_NAME.search(name):
        raise MalformedMessage(f"{EVENT_NAME_PARAM} {name!r} is not a valid event name")
    return name


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedMessage(f"the body is not UTF-8: {exc}") from None


def _parse_form(text: str, where: str) -> list[tuple[str, str]]:
    if not text:
        return []
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedMessage(f"malformed {where}: {exc}") from None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise MalformedMessage(f"malformed JSON body: {exc}") from None


def _xml(text: str) -> XmlValue:
    try:
        etree.fromstring(text.strip().encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise MalformedMessage(f"malformed XML body: {exc}") from None
    return XmlValue(text.strip())


def raw_request(method: str, target: str, http_version: str, headers: list[tuple[str, str]], body: bytes) -> str:
    """The request as it arrived, as text: what `_event.raw` shows."""
    lines = [f"{method} {target} HTTP/{http_version}"] + [f"{k}: {v}" for k, v in headers]
    return "\r\n".join(lines) + "\r\n\r\n" + body.decode("utf-8", errors="replace")
